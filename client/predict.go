package client

import (
	"math"
	"time"
)

// PredictConfig tunes a [Predictor]. The zero value is the default.
type PredictConfig struct {
	// Smoothing is the time constant over which a visible correction fades out; default 50 ms
	// (a correction is 95 % gone after 150 ms, about 9 frames at 60 fps).
	Smoothing time.Duration
	// SnapDistance is the correction, in world units, above which the shown position jumps
	// instead of gliding (a respawn or a teleport); default 64.
	SnapDistance float64
	// MaxInputs is the number of unacknowledged inputs kept for replay; default 128.
	MaxInputs int
	// Tick is the time between two inputs (the server's tick; [Conn] sets it from the
	// welcome); default 1/60 s. The shown position is interpolated over it (see
	// [Predictor.Shown]).
	Tick time.Duration
}

type pendingInput[S comparable] struct {
	seq   uint32
	input []byte
	after S    // the predicted state after this input
	valid bool // after was predicted (there was a state to advance)
}

// Predictor predicts the local player ahead of the server with the game's own rules and
// reconciles the prediction with every snapshot:
//
//  1. every client tick, [Predictor.Apply] records the input under its sequence number and steps
//     the predicted state with it;
//  2. every snapshot, [Predictor.Reconcile] resets the state to the server's (which is the result
//     of the last input the server processed), drops the inputs the server has processed and
//     replays the rest;
//  3. the difference between the position shown before and after the replay (the prediction
//     error) becomes a visual offset that decays exponentially, so a correction within
//     SnapDistance glides instead of snapping.
//
// The prediction advances in whole ticks, but frames come at the display's rate, which is not
// in step with the tick (59.94 Hz, 144 Hz, or 60 Hz with a drifting phase): showing the newest
// prediction would make some frames stand still and others jump two ticks. So
// [Predictor.Shown] renders one tick behind, the standard fixed-timestep interpolation: the
// position between the previous and the newest prediction, by how far now is into the tick
// that began with the newest input.
//
// When the server's state equals the state predicted after the same input (the common case:
// the prediction was right), the replay would reproduce the current prediction exactly, so it
// is skipped: a thousand bots reconcile thirty times a second each.
//
// S is the game's state of one player (a comparable value type). It is not safe for
// concurrent use.
type Predictor[S comparable] struct {
	cfg  PredictConfig
	step func(S, []byte) S
	pos  func(S) Vec

	state   S
	valid   bool
	pending []pendingInput[S] // ascending seq, not yet processed by the server
	spare   [][]byte

	offset   Vec // visual correction at offsetAt
	offsetAt time.Time

	// prevPos and curPos are the predicted positions before and after the newest input (curPos
	// is always pos(state) while valid); tickAt is that input's tick time.
	prevPos, curPos Vec
	tickAt          time.Time

	lastError float64
}

// NewPredictor returns a Predictor that advances a state with step and reads its position
// with pos.
func NewPredictor[S comparable](cfg PredictConfig, step func(S, []byte) S, pos func(S) Vec) *Predictor[S] {
	if cfg.Smoothing <= 0 {
		cfg.Smoothing = 50 * time.Millisecond
	}
	if cfg.SnapDistance <= 0 {
		cfg.SnapDistance = 64
	}
	if cfg.MaxInputs <= 0 {
		cfg.MaxInputs = 128
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second / 60
	}
	return &Predictor[S]{cfg: cfg, step: step, pos: pos}
}

// Apply records input seq, made for the tick at time at, and advances the prediction by it.
// Until the first Reconcile there is no state to advance, but the input is still kept for the
// replay. at is the tick's scheduled time (evenly spaced by PredictConfig.Tick), not when the
// caller got round to it, so that the jitter of the caller's timer does not show.
func (p *Predictor[S]) Apply(at time.Time, seq uint32, input []byte) {
	if len(p.pending) >= p.cfg.MaxInputs {
		p.recycle(p.pending[0].input)
		p.pending = append(p.pending[:0], p.pending[1:]...)
	}
	var b []byte
	if n := len(p.spare); n > 0 {
		b, p.spare = p.spare[n-1][:0], p.spare[:n-1]
	}
	in := pendingInput[S]{seq: seq, input: append(b, input...)}
	if p.valid {
		p.state = p.step(p.state, input)
		in.after, in.valid = p.state, true
		p.prevPos, p.curPos = p.curPos, p.pos(p.state)
	}
	p.tickAt = at
	p.pending = append(p.pending, in)
}

func (p *Predictor[S]) recycle(b []byte) {
	if len(p.spare) < p.cfg.MaxInputs {
		p.spare = append(p.spare, b)
	}
}

// Reconcile resets the prediction to server, the authoritative state after input lastProcessed,
// and replays the inputs after it. It returns the prediction error: how far the predicted
// position moved (0 on the first call). now is when the correction becomes visible.
func (p *Predictor[S]) Reconcile(now time.Time, server S, lastProcessed uint32) float64 {
	drop := 0
	var predicted S
	confirmed := false
	for drop < len(p.pending) && !seqAfter(p.pending[drop].seq, lastProcessed) {
		if p.pending[drop].seq == lastProcessed {
			predicted, confirmed = p.pending[drop].after, p.pending[drop].valid
		}
		p.recycle(p.pending[drop].input)
		drop++
	}
	if drop > 0 {
		p.pending = append(p.pending[:0], p.pending[drop:]...)
	}
	if p.valid && confirmed && predicted == server {
		p.lastError = 0 // the prediction was exact: replaying would change nothing
		return 0
	}
	wasValid := p.valid
	before := p.curPos
	p.state = server
	p.valid = true
	for i := range p.pending {
		p.state = p.step(p.state, p.pending[i].input)
		p.pending[i].after, p.pending[i].valid = p.state, true
	}
	after := p.pos(p.state)
	if !wasValid {
		p.prevPos, p.curPos = after, after
		p.lastError = 0
		return 0
	}
	diff := before.Sub(after)
	p.lastError = diff.Len()
	off := p.Offset(now).Add(diff)
	// The correction moves the whole interpolated segment (the previous position by the same
	// amount, which keeps the velocity between them), and the offset takes it back out: the
	// shown position does not move at the correction, then glides.
	p.prevPos, p.curPos = p.prevPos.Sub(diff), after
	if p.lastError > p.cfg.SnapDistance || off.Len() > p.cfg.SnapDistance {
		off = Vec{}
		p.prevPos = after // a teleport: nothing to interpolate from
	}
	p.offset, p.offsetAt = off, now
	return p.lastError
}

// seqAfter reports whether input sequence a comes after b (wrap-aware).
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }

// Offset is the visual correction still shown at now.
func (p *Predictor[S]) Offset(now time.Time) Vec {
	if p.offset == (Vec{}) {
		return Vec{}
	}
	dt := now.Sub(p.offsetAt)
	if dt <= 0 {
		return p.offset
	}
	k := math.Exp(-float64(dt) / float64(p.cfg.Smoothing))
	if k < 1e-3 {
		return Vec{}
	}
	return p.offset.Scale(k)
}

// State returns the predicted state and whether there is one (false before the first
// Reconcile).
func (p *Predictor[S]) State() (S, bool) { return p.state, p.valid }

// Shown is the position to draw at now: one tick behind the prediction, between the position
// before and after the newest input by the fraction of a tick since it (clamped to 0..1), plus
// the fading correction. A frame therefore moves the player by its own duration's worth of
// velocity, whatever the display's rate.
func (p *Predictor[S]) Shown(now time.Time) Vec {
	pos := p.curPos
	if !p.tickAt.IsZero() {
		a := float64(now.Sub(p.tickAt)) / float64(p.cfg.Tick)
		pos = p.prevPos.Lerp(p.curPos, min(max(a, 0), 1))
	}
	return pos.Add(p.Offset(now))
}

// Pending returns the number of inputs not yet processed by the server.
func (p *Predictor[S]) Pending() int { return len(p.pending) }

// LastError is the prediction error measured by the last Reconcile, in world units.
func (p *Predictor[S]) LastError() float64 { return p.lastError }
