package client

import (
	"math"
	"time"
)

// InterpConfig tunes an [Interpolator]. The zero value is the default.
type InterpConfig struct {
	// TickRate is the server's simulation rate in ticks per second; default 60.
	TickRate int
	// SnapshotEvery is the number of ticks between two snapshots; 0 infers it from the stream.
	SnapshotEvery int
	// InitialDelay is the interpolation delay used until the link has been measured; default 100 ms.
	InitialDelay time.Duration
	// MinDelay and MaxDelay bound the adaptive delay; defaults 40 ms and 400 ms.
	MinDelay, MaxDelay time.Duration
	// GapProbability is the chance of running out of snapshots the adaptive delay accepts per
	// frame; default 0.001. The delay covers as many snapshot intervals as it takes for that many
	// consecutive losses to be this unlikely, plus the measured lateness (jitter).
	GapProbability float64
	// Fixed keeps the delay at InitialDelay (no adaptation).
	Fixed bool
	// Extrapolate is how far past the newest state [Interpolator.Sample] extrapolates when the
	// link starves it, before it holds; default 50 ms, negative for none.
	Extrapolate time.Duration
}

// Interpolation buffer and estimator constants.
const (
	interpBufferLen = 32              // snapshots kept (about 1 s at 30 Hz)
	offsetWindow    = 3 * time.Second // window of the minimum-transit filter
	slewRate        = 0.1             // render clock runs at most ±10 % fast or slow to adapt
	snapThreshold   = 500 * time.Millisecond
	lossGain        = 0.02 // EWMA gain of the snapshot loss estimate (≈50 snapshots)
	latenessDecay   = 0.98 // per snapshot decay of the lateness peak (≈1 s at 30 Hz)
	warmupSnapshots = 20   // snapshots before the delay adapts
)

type interpEntry[T any] struct {
	tick uint32
	recv time.Time
	val  T
}

type offsetSample struct {
	at     time.Time
	offset time.Duration
}

// Interpolator buffers timestamped server states and answers, for any local time, which two of
// them bracket the moment to show and how far between them it lies. The moment to show runs a
// delay behind the newest state the link can be expected to have delivered; the delay adapts to
// the measured loss and lateness of snapshots (about 100 ms by default, more on a lossy or
// jittery link, less on a clean one) and changes smoothly (the render clock slews by at most
// 10 %), so the shown motion never jumps.
//
// T is the caller's snapshot type; the Interpolator never looks inside it. It is not safe for
// concurrent use.
type Interpolator[T any] struct {
	cfg     InterpConfig
	tickDur time.Duration

	buf     []interpEntry[T] // sorted by tick
	started bool
	epoch   time.Time // local time of server tick 0, as first estimated

	offsets   []offsetSample // monotonic deque: increasing offsets, for the windowed minimum
	minOffset time.Duration

	lag        time.Duration // minOffset + delay, slewed
	lastUpdate time.Time

	newest      uint32
	received    int
	minGap      uint32
	loss        float64
	latenessPk  time.Duration
	targetDelay time.Duration

	samples, gaps, extrapolated uint64
}

// NewInterpolator returns an empty Interpolator.
func NewInterpolator[T any](cfg InterpConfig) *Interpolator[T] {
	if cfg.TickRate <= 0 {
		cfg.TickRate = 60
	}
	if cfg.InitialDelay <= 0 {
		cfg.InitialDelay = 100 * time.Millisecond
	}
	if cfg.MinDelay <= 0 {
		cfg.MinDelay = 40 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 400 * time.Millisecond
	}
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	if cfg.Extrapolate == 0 {
		cfg.Extrapolate = 50 * time.Millisecond
	}
	cfg.Extrapolate = max(cfg.Extrapolate, 0)
	if cfg.GapProbability <= 0 || cfg.GapProbability >= 1 {
		cfg.GapProbability = 0.001
	}
	return &Interpolator[T]{
		cfg:         cfg,
		tickDur:     time.Second / time.Duration(cfg.TickRate),
		buf:         make([]interpEntry[T], 0, interpBufferLen),
		targetDelay: cfg.InitialDelay,
	}
}

// SetRates tells the interpolator the server's tick rate and snapshot interval (from the
// server's welcome). It must be called before the first Add to change the tick rate.
func (ip *Interpolator[T]) SetRates(tickRate, snapshotEvery int) {
	if tickRate > 0 && !ip.started {
		ip.cfg.TickRate = tickRate
		ip.tickDur = time.Second / time.Duration(tickRate)
	}
	if snapshotEvery > 0 {
		ip.cfg.SnapshotEvery = snapshotEvery
	}
}

func (ip *Interpolator[T]) tickTime(tick float64) time.Duration {
	return time.Duration(tick * float64(ip.tickDur))
}

// snapshotEvery returns the snapshot interval in ticks, configured or inferred.
func (ip *Interpolator[T]) snapshotEvery() uint32 {
	if ip.cfg.SnapshotEvery > 0 {
		return uint32(ip.cfg.SnapshotEvery)
	}
	if ip.minGap > 0 {
		return ip.minGap
	}
	return 1
}

// Add records the state of server tick tick, received at now. It reports false for a tick
// already buffered or older than everything kept.
func (ip *Interpolator[T]) Add(now time.Time, tick uint32, v T) bool {
	added, _, _ := ip.AddEvict(now, tick, v)
	return added
}

// Has reports whether tick is buffered, or older than everything a full buffer keeps (so
// Add would refuse it): the caller can skip decoding it.
func (ip *Interpolator[T]) Has(tick uint32) bool {
	if len(ip.buf) == interpBufferLen && tick < ip.buf[0].tick {
		return true
	}
	_, ok := ip.Find(tick)
	return ok
}

// AddEvict is Add that also returns the value it evicted to make room, if any, so the caller
// can reuse it (the bots decode a thousand snapshot streams; recycling saves the garbage).
func (ip *Interpolator[T]) AddEvict(now time.Time, tick uint32, v T) (added bool, evicted T, had bool) {
	if !ip.started {
		ip.started = true
		ip.epoch = now.Add(-ip.tickTime(float64(tick)))
		ip.newest = tick
		ip.lastUpdate = now
	}
	// Where does it go? Keep the buffer sorted by tick.
	i := len(ip.buf)
	for i > 0 && ip.buf[i-1].tick > tick {
		i--
	}
	if i > 0 && ip.buf[i-1].tick == tick {
		return false, evicted, false
	}
	if i == 0 && len(ip.buf) == interpBufferLen {
		return false, evicted, false
	}
	if len(ip.buf) == interpBufferLen {
		evicted, had = ip.buf[0].val, true
		copy(ip.buf, ip.buf[1:i])
		i--
		ip.buf[i] = interpEntry[T]{tick, now, v}
	} else {
		ip.buf = append(ip.buf, interpEntry[T]{})
		copy(ip.buf[i+1:], ip.buf[i:])
		ip.buf[i] = interpEntry[T]{tick, now, v}
	}
	ip.measure(now, tick)
	return true, evicted, had
}

// measure updates the transit, loss and lateness estimates with one arrival.
func (ip *Interpolator[T]) measure(now time.Time, tick uint32) {
	ip.received++
	if tick > ip.newest {
		gap := tick - ip.newest
		if ip.minGap == 0 || gap < ip.minGap {
			ip.minGap = gap
		}
		if ip.received > 2 {
			lost := int(gap/ip.snapshotEvery()) - 1
			for range min(lost, 64) {
				ip.loss += lossGain * (1 - ip.loss)
			}
		}
		ip.newest = tick
	}
	ip.loss *= 1 - lossGain

	// Transit offset: local arrival minus server time; its windowed minimum is the fastest path.
	off := now.Sub(ip.epoch) - ip.tickTime(float64(tick))
	for len(ip.offsets) > 0 && ip.offsets[len(ip.offsets)-1].offset >= off {
		ip.offsets = ip.offsets[:len(ip.offsets)-1]
	}
	ip.offsets = append(ip.offsets, offsetSample{now, off})
	drop := 0
	for drop < len(ip.offsets)-1 && now.Sub(ip.offsets[drop].at) > offsetWindow {
		drop++
	}
	if drop > 0 {
		ip.offsets = append(ip.offsets[:0], ip.offsets[drop:]...)
	}
	ip.minOffset = ip.offsets[0].offset

	late := off - ip.minOffset
	ip.latenessPk = time.Duration(float64(ip.latenessPk) * latenessDecay)
	if late > ip.latenessPk {
		ip.latenessPk = late
	}

	if ip.cfg.Fixed || ip.received < warmupSnapshots {
		ip.targetDelay = ip.cfg.InitialDelay
	} else {
		ip.targetDelay = ip.adaptiveDelay()
	}
	if ip.received == 1 {
		ip.lag = ip.minOffset + ip.targetDelay
	}
	ip.update(now)
}

// adaptiveDelay is the delay that covers enough snapshot intervals for the measured loss and
// the measured lateness.
func (ip *Interpolator[T]) adaptiveDelay() time.Duration {
	slots := 2.0
	if ip.loss > 0.001 {
		slots = max(slots, math.Ceil(math.Log(ip.cfg.GapProbability)/math.Log(ip.loss)))
	}
	interval := ip.tickTime(float64(ip.snapshotEvery()))
	d := time.Duration(slots*float64(interval)) + ip.latenessPk
	return min(max(d, ip.cfg.MinDelay), ip.cfg.MaxDelay)
}

// update slews the render lag toward its target.
func (ip *Interpolator[T]) update(now time.Time) {
	dt := now.Sub(ip.lastUpdate)
	if dt <= 0 {
		return
	}
	ip.lastUpdate = now
	target := ip.minOffset + ip.targetDelay
	diff := target - ip.lag
	if diff > snapThreshold || diff < -snapThreshold {
		ip.lag = target
		return
	}
	step := time.Duration(float64(dt) * slewRate)
	ip.lag += min(max(diff, -step), step)
}

// Sample is the answer of [Interpolator.Sample]: show From and To blended by Alpha
// (0 = From, 1 = To; above 1 when extrapolating past the newest state during a [Sample.Gap]:
// blend continuous values such as positions linearly with Alpha as is, take discrete ones
// such as health from To).
type Sample[T any] struct {
	From, To         T
	FromTick, ToTick uint32
	Alpha            float64
	// RenderTick is the server time shown, in ticks.
	RenderTick float64
	// OK is false when nothing has been received yet.
	OK bool
	// Extrapolated reports that the render time is past the newest state received: From and To
	// are the last two states and Alpha > 1, up to InterpConfig.Extrapolate.
	Extrapolated bool
	// Gap reports that the interpolation is starved and the shown motion stops: the render time
	// is past the newest state by more than InterpConfig.Extrapolate, or before the oldest kept.
	Gap bool
	// Age is how long ago, in server time, the shown state was current, measured from the
	// newest state the fastest path could have delivered (add the one-way latency, about RTT/2,
	// for the age since the server simulated it).
	Age time.Duration
}

// Sample returns the states that bracket the moment to show at local time now.
func (ip *Interpolator[T]) Sample(now time.Time) Sample[T] {
	var s Sample[T]
	if len(ip.buf) == 0 {
		return s
	}
	ip.update(now)
	s.OK = true
	ip.samples++
	rt := now.Sub(ip.epoch) - ip.lag // server time to show
	s.RenderTick = float64(rt) / float64(ip.tickDur)
	serverNow := now.Sub(ip.epoch) - ip.minOffset
	first, last := ip.buf[0], ip.buf[len(ip.buf)-1]
	shown := s.RenderTick
	switch {
	case s.RenderTick >= float64(last.tick):
		s.From, s.To, s.FromTick, s.ToTick, s.Alpha = last.val, last.val, last.tick, last.tick, 1
		shown = float64(last.tick)
		// Past the newest state, extrapolate from the last two for a short while (Alpha > 1),
		// then hold: the link starved the interpolation.
		if over := s.RenderTick - float64(last.tick); over > 0 {
			limit := float64(ip.cfg.Extrapolate) / float64(ip.tickDur)
			s.Gap = over > limit || len(ip.buf) < 2
			if len(ip.buf) >= 2 {
				s.Extrapolated = true
				a := ip.buf[len(ip.buf)-2]
				s.From, s.FromTick = a.val, a.tick
				s.Alpha = (float64(last.tick) + min(over, limit) - float64(a.tick)) / float64(last.tick-a.tick)
			}
		}
	case s.RenderTick < float64(first.tick):
		s.From, s.To, s.FromTick, s.ToTick, s.Alpha = first.val, first.val, first.tick, first.tick, 0
		s.Gap = true
		shown = float64(first.tick)
	default:
		j := len(ip.buf) - 1
		for j > 0 && float64(ip.buf[j-1].tick) > s.RenderTick {
			j--
		}
		a, b := ip.buf[j-1], ip.buf[j]
		s.From, s.To, s.FromTick, s.ToTick = a.val, b.val, a.tick, b.tick
		s.Alpha = (s.RenderTick - float64(a.tick)) / float64(b.tick-a.tick)
	}
	if s.Gap {
		ip.gaps++
	}
	if s.Extrapolated {
		ip.extrapolated++
	}
	s.Age = max(serverNow-ip.tickTime(shown), 0)
	return s
}

// Find returns the state of tick if it is still buffered (the client's store of delta
// baselines: the last 32 snapshots received).
func (ip *Interpolator[T]) Find(tick uint32) (T, bool) {
	for i := len(ip.buf) - 1; i >= 0; i-- {
		if ip.buf[i].tick == tick {
			return ip.buf[i].val, true
		}
	}
	var zero T
	return zero, false
}

// Delay is the current interpolation delay: how far the shown time runs behind the newest
// state the fastest path delivers.
func (ip *Interpolator[T]) Delay() time.Duration {
	if !ip.started {
		return ip.cfg.InitialDelay
	}
	return ip.lag - ip.minOffset
}

// TargetDelay is the delay the interpolator is adapting toward.
func (ip *Interpolator[T]) TargetDelay() time.Duration { return ip.targetDelay }

// Loss is the estimated fraction of snapshots lost (0..1).
func (ip *Interpolator[T]) Loss() float64 { return ip.loss }

// Lateness is the recent peak of snapshot lateness over the fastest path (jitter).
func (ip *Interpolator[T]) Lateness() time.Duration { return ip.latenessPk }

// Gaps returns how many samples were taken, how many of them found no bracketing pair and
// extrapolated, and how many were starved (held still).
func (ip *Interpolator[T]) Gaps() (samples, extrapolated, gaps uint64) {
	return ip.samples, ip.extrapolated, ip.gaps
}

// Newest returns the newest tick received and whether anything has been received.
func (ip *Interpolator[T]) Newest() (uint32, bool) { return ip.newest, ip.started }
