package client

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testState struct{ X, Y float64 }

// testStep moves by the input's two signed bytes.
func testStep(s testState, in []byte) testState {
	if len(in) >= 2 {
		s.X += float64(int8(in[0]))
		s.Y += float64(int8(in[1]))
	}
	return s
}

func testPos(s testState) Vec { return Vec(s) }

// scriptedMatch runs a client predictor against a scripted server: inputs reach the server
// `lag` ticks after they are made, snapshots reach the client `lag` ticks after they are taken,
// one every other tick. push(tick) adds an external displacement on the server only (a hit,
// a collision the client did not predict). It returns the largest frame-to-frame movement of
// the shown position beyond the player's own movement, and the prediction errors measured.
func scriptedMatch(t *testing.T, ticks, lag int, push func(tick int) Vec) (float64, []float64) {
	t.Helper()
	p := NewPredictor(PredictConfig{}, testStep, testPos)
	start := time.Unix(1000, 0)
	const dt = time.Second / 60
	type snap struct {
		state testState
		seq   uint32
	}
	inputs := make([][]byte, ticks)
	snaps := make([]snap, ticks)
	server := testState{}
	var errs []float64
	prevShown := Vec{}
	var prevIn []byte
	maxExtra := 0.0
	for k := range ticks {
		now := start.Add(time.Duration(k) * dt)
		// server: applies the input made lag ticks ago
		if j := k - lag; j >= 0 {
			server = testStep(server, inputs[j])
			if push != nil {
				d := push(k)
				server.X, server.Y = server.X+d.X, server.Y+d.Y
			}
			snaps[k] = snap{server, uint32(j)}
		}
		// client: receives the snapshot taken lag ticks ago (every other tick)
		if j := k - lag; j >= lag && j%2 == 0 {
			s := snaps[j]
			errs = append(errs, p.Reconcile(now, s.state, s.seq))
		}
		// client: samples and predicts
		in := []byte{byte(int8(2 + k%3)), byte(int8(k%5 - 2))}
		inputs[k] = in
		p.Apply(now, uint32(k), in)
		if _, ok := p.State(); !ok {
			prevIn = in
			continue
		}
		// Drawn one tick behind (at the tick's start): the frame shows the previous input's move.
		shown := p.Shown(now)
		if k > 3*lag {
			own := Vec{float64(int8(prevIn[0])), float64(int8(prevIn[1]))}
			extra := shown.Sub(prevShown).Sub(own).Len()
			maxExtra = max(maxExtra, extra)
		}
		prevShown, prevIn = shown, in
	}
	return maxExtra, errs
}

func TestPredictionExactWhenServerAgrees(t *testing.T) {
	maxExtra, errs := scriptedMatch(t, 300, 6, nil)
	require.NotEmpty(t, errs)
	for _, e := range errs {
		require.Zero(t, e)
	}
	assert.Zero(t, maxExtra)
}

func TestReconciliationSmoothsCorrections(t *testing.T) {
	const correction = 12.0
	maxExtra, errs := scriptedMatch(t, 300, 6, func(tick int) Vec {
		if tick == 100 || tick == 200 {
			return Vec{correction, -correction / 2}
		}
		return Vec{}
	})
	size := math.Hypot(correction, correction/2)
	nonzero := 0
	for _, e := range errs {
		if e > 0 {
			nonzero++
			assert.InDelta(t, size, e, 1e-9)
		}
	}
	assert.Equal(t, 2, nonzero, "each push is corrected once, then prediction agrees again")
	// No visible snap: the shown position never moves by more than a third of the correction
	// in one frame beyond the player's own movement (exponential glide over ~9 frames).
	assert.Greater(t, maxExtra, 0.0)
	assert.Less(t, maxExtra, size/3)
}

func TestReconciliationSnapsLargeCorrections(t *testing.T) {
	p := NewPredictor(PredictConfig{SnapDistance: 10}, testStep, testPos)
	now := time.Unix(0, 0)
	p.Reconcile(now, testState{}, 0)
	p.Apply(now, 1, []byte{1, 0})
	e := p.Reconcile(now, testState{X: 500}, 1) // a respawn
	assert.InDelta(t, 499, e, 1e-9)
	assert.Equal(t, Vec{500, 0}, p.Shown(now), "a teleport is shown at once")
	assert.Equal(t, 0, p.Pending())
}

func TestPredictorDropsProcessedInputsAcrossWrap(t *testing.T) {
	p := NewPredictor(PredictConfig{MaxInputs: 8}, testStep, testPos)
	now := time.Unix(0, 0)
	base := uint32(math.MaxUint32 - 3)
	for i := range uint32(6) {
		p.Apply(now, base+i, []byte{1, 0})
	}
	require.Equal(t, 6, p.Pending())
	p.Reconcile(now, testState{X: 4}, base+3) // processed 4 inputs, wrapping past 0
	assert.Equal(t, 2, p.Pending())
	st, ok := p.State()
	require.True(t, ok)
	assert.Equal(t, testState{X: 6}, st)
	for i := range uint32(20) {
		p.Apply(now, base+6+i, []byte{0, 1})
	}
	assert.Equal(t, 8, p.Pending(), "bounded")
}

func TestPredictorSteadyStateAllocations(t *testing.T) {
	p := NewPredictor(PredictConfig{}, testStep, testPos)
	now := time.Unix(0, 0)
	in := []byte{1, 1}
	seq := uint32(0)
	for range 200 {
		seq++
		p.Apply(now, seq, in)
		p.Reconcile(now, testState{}, seq-4)
	}
	allocs := testing.AllocsPerRun(100, func() {
		seq++
		p.Apply(now, seq, in)
		p.Reconcile(now, testState{}, seq-4)
	})
	assert.Zero(t, allocs)
}

// TestReconcileSkipsReplayWhenConfirmed: when the server's state is the one predicted after the
// same input, Reconcile replays nothing (the result would be the same); when it differs, the
// pending inputs are replayed on the server's state.
func TestReconcileSkipsReplayWhenConfirmed(t *testing.T) {
	steps := 0
	step := func(s testState, in []byte) testState { steps++; return testStep(s, in) }
	p := NewPredictor(PredictConfig{}, step, testPos)
	now := time.Unix(1, 0)
	p.Reconcile(now, testState{}, 0)
	for seq := uint32(1); seq <= 10; seq++ {
		p.Apply(now, seq, []byte{1, 0})
	}
	steps = 0
	assert.Zero(t, p.Reconcile(now, testState{X: 4}, 4), "exact prediction")
	assert.Zero(t, steps, "no replay")
	assert.Equal(t, 6, p.Pending())
	st, _ := p.State()
	assert.Equal(t, testState{X: 10}, st)

	assert.InDelta(t, 1, p.Reconcile(now, testState{X: 5, Y: 1}, 5), 1e-9, "a push the client did not predict")
	assert.Equal(t, 5, steps, "the five pending inputs are replayed")
	st, _ = p.State()
	assert.Equal(t, testState{X: 10, Y: 1}, st)
	steps = 0
	assert.Zero(t, p.Reconcile(now, testState{X: 7, Y: 1}, 7), "the replayed prediction is confirmed")
	assert.Zero(t, steps)
}

// TestShownPositionSmoothAtAnyFrameRate: inputs every 1/60 s, frames at a rate not in step
// with them, the player moving at a constant velocity. Every frame moves the shown position by
// velocity × frame time: no frame stands still, none jumps two ticks. With a correction the
// frames around it glide (less than a third of the correction beyond the velocity per frame).
func TestShownPositionSmoothAtAnyFrameRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		fps  float64
		push float64
	}{
		{"59.94Hz", 59.94, 0},
		{"144Hz", 144, 0},
		{"59.94Hz correction", 59.94, 12},
		{"144Hz correction", 144, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const tick = time.Second / 60
			const lag = 6
			const pushAt = 300
			p := NewPredictor(PredictConfig{Tick: tick}, testStep, testPos)
			start := time.Unix(1000, 0)
			in := []byte{3, 0}
			v := 3 / tick.Seconds() // units per second
			server := func(seq int) testState {
				s := testState{X: float64(3 * seq)}
				if seq >= pushAt {
					s.X += tc.push
				}
				return s
			}
			p.Reconcile(start, testState{}, 0)
			// The first frame 0.3 ms after a tick: frames cross the tick boundaries as they drift.
			frameAt := func(i int) time.Time {
				return start.Add(300*time.Microsecond + time.Duration(float64(i)*float64(time.Second)/tc.fps))
			}
			var prev Vec
			var prevAt time.Time
			frames, maxDev, maxExtra := 0, 0.0, 0.0
			fi := 0
			for k := 1; k <= 600; k++ {
				at := start.Add(time.Duration(k) * tick)
				if k > lag && k%2 == 0 {
					p.Reconcile(at, server(k-lag), uint32(k-lag))
				}
				p.Apply(at, uint32(k), in)
				next := at.Add(tick)
				for ; frameAt(fi).Before(next); fi++ {
					f := frameAt(fi)
					if f.Before(at) {
						continue
					}
					shown := p.Shown(f)
					if !prevAt.IsZero() && k > 2 {
						want := v * f.Sub(prevAt).Seconds()
						got := shown.Sub(prev).Len()
						settled := k < pushAt+lag || k > pushAt+lag+20 // 300 ms after the correction
						if settled {
							maxDev = max(maxDev, math.Abs(got-want)/want)
						}
						maxExtra = max(maxExtra, shown.Sub(prev).Sub(Vec{want, 0}).Len())
						frames++
					}
					prev, prevAt = shown, f
				}
			}
			t.Logf("%d frames, largest deviation from velocity × frame time %.2f %%, largest extra %.3f",
				frames, 100*maxDev, maxExtra)
			require.Greater(t, frames, int(tc.fps*9))
			assert.Less(t, maxDev, 0.02, "each frame moves by velocity × frame time")
			if tc.push == 0 {
				assert.Less(t, maxExtra, 1e-6)
			} else {
				assert.Greater(t, maxExtra, 0.0, "the correction shows")
				assert.Less(t, maxExtra, tc.push/3, "and glides")
			}
		})
	}
}
