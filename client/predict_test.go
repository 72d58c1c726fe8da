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
