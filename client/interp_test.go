package client

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linkSim is a scripted snapshot stream: a server ticking at 60 Hz sends its tick (the "state"
// is the tick itself, so the true position is known) every other tick over a link with loss,
// latency and jitter; arrivals are delivered to an interpolator sampled at 60 fps.
type linkSim struct {
	loss    float64
	latency time.Duration
	jitter  time.Duration
	seed    uint64
}

type arrival struct {
	at   time.Time
	tick uint32
}

// run streams for d and samples every frame; it returns the interpolator and the largest jump
// of the shown value between frames, in ticks.
func (l linkSim) run(t *testing.T, cfg InterpConfig, d time.Duration, firstTick uint32) (*Interpolator[float64], float64) {
	ip, jump, _ := l.runWarm(t, cfg, d, firstTick)
	return ip, jump
}

// runWarm is run that also returns the gaps counted after the first two seconds.
func (l linkSim) runWarm(t *testing.T, cfg InterpConfig, d time.Duration, firstTick uint32) (*Interpolator[float64], float64, uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(l.seed, 1))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const tickDur = time.Second / 60
	var pending []arrival
	for k := 0; time.Duration(k)*tickDur < d; k += 2 {
		if rng.Float64() < l.loss {
			continue
		}
		delay := l.latency
		if l.jitter > 0 {
			delay += time.Duration((rng.Float64()*2 - 1) * float64(l.jitter))
		}
		pending = append(pending, arrival{start.Add(time.Duration(k)*tickDur + delay), firstTick + uint32(k)})
	}
	ip := NewInterpolator[float64](cfg)
	frame := time.Second / 60
	prev, maxJump := math.NaN(), 0.0
	next := 0
	var warmGaps uint64
	frames := 0
	for now := start; now.Before(start.Add(d)); now = now.Add(frame) {
		// deliver everything due (arrivals may be out of order with jitter)
		for i := next; i < len(pending); i++ {
			if !pending[i].at.After(now) {
				ip.Add(pending[i].at, pending[i].tick, float64(pending[i].tick))
				pending[i].at = time.Time{}.Add(math.MaxInt64) // delivered
			}
		}
		for next < len(pending) && pending[next].at.Equal(time.Time{}.Add(math.MaxInt64)) {
			next++
		}
		if frames++; frames == 120 {
			_, _, warmGaps = ip.Gaps()
		}
		s := ip.Sample(now)
		if !s.OK {
			continue
		}
		shown := s.From + (s.To-s.From)*s.Alpha
		if !math.IsNaN(prev) {
			if debugJumps && math.Abs(shown-prev) > 1.2 {
				t.Logf("t=%v jump %.2f from %d to %d alpha %.2f gap %v rt %.2f delay %v", now.Sub(start), shown-prev, s.FromTick, s.ToTick, s.Alpha, s.Gap, s.RenderTick, ip.Delay())
			}
			maxJump = max(maxJump, math.Abs(shown-prev))
		}
		prev = shown
	}
	_, _, gaps := ip.Gaps()
	return ip, maxJump, gaps - warmGaps
}

func TestInterpolatorNoGapsAtTenPercentLossDefaultDelay(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  InterpConfig
		link linkSim
	}{
		{"fixed 100ms, 10% loss", InterpConfig{Fixed: true}, linkSim{loss: 0.1, latency: 50 * time.Millisecond, seed: 7}},
		{"adaptive, 10% loss", InterpConfig{}, linkSim{loss: 0.1, latency: 50 * time.Millisecond, seed: 7}},
		{"adaptive, 10% loss, 50±20ms", InterpConfig{}, linkSim{loss: 0.1, latency: 50 * time.Millisecond, jitter: 20 * time.Millisecond, seed: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ip, maxJump := tc.link.run(t, tc.cfg, 20*time.Second, 1000)
			samples, _, gaps := ip.Gaps()
			require.Greater(t, samples, uint64(1000))
			// The first frames wait for the second snapshot (nothing to interpolate toward yet).
			assert.LessOrEqual(t, gaps, uint64(8), "frames with no bracketing snapshots")
			// Shown time advances at 60 fps by one tick per frame (±10 % slew): never a jump.
			assert.Less(t, maxJump, 1.25, "largest jump of shown state between frames, ticks")
			assert.InDelta(t, 0.1, ip.Loss(), 0.07)
		})
	}
}

func TestInterpolatorNoGapsAfterWarmup(t *testing.T) {
	// 10 % loss with the default (adaptive) delay, after it has measured the link: no frame
	// without a bracketing pair of snapshots, over several seeds.
	for seed := uint64(1); seed <= 5; seed++ {
		for _, cfg := range []InterpConfig{{}, {Fixed: true}} {
			ip, _, gaps := linkSim{loss: 0.1, latency: 50 * time.Millisecond, seed: seed}.runWarm(t, cfg, 30*time.Second, 0)
			assert.Zero(t, gaps, "seed %d fixed %v", seed, cfg.Fixed)
			samples, extrapolated, _ := ip.Gaps()
			assert.Less(t, float64(extrapolated)/float64(samples), 0.01, "seed %d", seed)
		}
	}
}

func TestInterpolatorAdaptiveDelay(t *testing.T) {
	clean, _ := linkSim{latency: 20 * time.Millisecond, seed: 1}.run(t, InterpConfig{}, 15*time.Second, 0)
	assert.Less(t, clean.Delay(), 100*time.Millisecond, "a clean link shrinks the delay")
	assert.GreaterOrEqual(t, clean.Delay(), 40*time.Millisecond)

	lossy, _ := linkSim{loss: 0.2, latency: 50 * time.Millisecond, jitter: 30 * time.Millisecond, seed: 2}.run(t, InterpConfig{}, 15*time.Second, 0)
	assert.Greater(t, lossy.Delay(), 120*time.Millisecond, "loss and jitter grow the delay")
	assert.LessOrEqual(t, lossy.Delay(), 400*time.Millisecond)
	assert.Greater(t, lossy.Lateness(), 20*time.Millisecond)

	fixed, _ := linkSim{loss: 0.2, latency: 50 * time.Millisecond, jitter: 30 * time.Millisecond, seed: 2}.run(t, InterpConfig{Fixed: true}, 5*time.Second, 0)
	assert.InDelta(t, float64(100*time.Millisecond), float64(fixed.Delay()), float64(5*time.Millisecond))
}

func TestInterpolatorBufferOrderAndBounds(t *testing.T) {
	ip := NewInterpolator[int](InterpConfig{TickRate: 10, Fixed: true, InitialDelay: 100 * time.Millisecond})
	now := time.Unix(100, 0)
	require.False(t, ip.Sample(now).OK)
	require.True(t, ip.Add(now, 10, 10))
	require.True(t, ip.Add(now, 12, 12))
	require.True(t, ip.Add(now, 11, 11), "late arrival fills the hole")
	require.False(t, ip.Add(now, 11, 11), "duplicate")
	for tk := uint32(13); tk < 13+interpBufferLen; tk++ {
		require.True(t, ip.Add(now, tk, int(tk)))
	}
	require.Len(t, ip.buf, interpBufferLen)
	require.False(t, ip.Add(now, 10, 10), "older than everything kept")
	for i := 1; i < len(ip.buf); i++ {
		require.Less(t, ip.buf[i-1].tick, ip.buf[i].tick)
	}
	n, ok := ip.Newest()
	require.True(t, ok)
	require.Equal(t, uint32(12+interpBufferLen), n)
}

func TestInterpolatorStateAgeGrowsWhenStarved(t *testing.T) {
	ip := NewInterpolator[int](InterpConfig{Fixed: true})
	start := time.Unix(100, 0)
	const tickDur = time.Second / 60
	for k := 0; k < 60; k += 2 {
		ip.Add(start.Add(time.Duration(k)*tickDur), uint32(k), k)
	}
	live := ip.Sample(start.Add(59 * tickDur))
	assert.False(t, live.Gap)
	assert.InDelta(t, float64(100*time.Millisecond), float64(live.Age), float64(20*time.Millisecond))
	stalled := ip.Sample(start.Add(59*tickDur + time.Second))
	assert.True(t, stalled.Gap)
	assert.Greater(t, stalled.Age, time.Second)
}

var debugJumps = false
