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
	return &Predictor[S]{cfg: cfg, step: step, pos: pos}
}

// Apply records input seq and advances the prediction by it. Until the first Reconcile there is
// no state to advance, but the input is still kept for the replay.
func (p *Predictor[S]) Apply(seq uint32, input []byte) {
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
	}
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
	before := p.pos(p.state)
	p.state = server
	p.valid = true
	for i := range p.pending {
		p.state = p.step(p.state, p.pending[i].input)
		p.pending[i].after, p.pending[i].valid = p.state, true
	}
	if !wasValid {
		p.lastError = 0
		return 0
	}
	after := p.pos(p.state)
	diff := before.Sub(after)
	p.lastError = diff.Len()
	off := p.Offset(now).Add(diff)
	if p.lastError > p.cfg.SnapDistance || off.Len() > p.cfg.SnapDistance {
		off = Vec{}
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

// Shown is the position to draw at now: the prediction plus the fading correction.
func (p *Predictor[S]) Shown(now time.Time) Vec { return p.pos(p.state).Add(p.Offset(now)) }

// Pending returns the number of inputs not yet processed by the server.
func (p *Predictor[S]) Pending() int { return len(p.pending) }

// LastError is the prediction error measured by the last Reconcile, in world units.
func (p *Predictor[S]) LastError() float64 { return p.lastError }
