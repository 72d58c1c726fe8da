package netcode

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRTTStats(t *testing.T) {
	var r RTTStats
	assert.False(t, r.HasSample())
	assert.Equal(t, 250*time.Millisecond, r.ResendDelay(250*time.Millisecond, 20*time.Millisecond, 2*time.Second))
	r.Update(0) // ignored
	r.Update(-time.Second)
	assert.False(t, r.HasSample())

	r.Update(100 * time.Millisecond) // first: srtt = r, rttvar = r/2
	assert.Equal(t, 100*time.Millisecond, r.SmoothedRTT())
	assert.Equal(t, 50*time.Millisecond, r.RTTVar())
	r.Update(200 * time.Millisecond) // rttvar = 3/4·50 + 1/4·100; srtt = 7/8·100 + 1/8·200
	assert.Equal(t, 62500*time.Microsecond, r.RTTVar())
	assert.Equal(t, 112500*time.Microsecond, r.SmoothedRTT())
	assert.Equal(t, 100*time.Millisecond, r.MinRTT())
	assert.Equal(t, 200*time.Millisecond, r.LatestRTT())
	assert.Equal(t, 362500*time.Microsecond, r.ResendDelay(0, 0, time.Second))
	assert.Equal(t, 300*time.Millisecond, r.ResendDelay(0, 0, 300*time.Millisecond))
	for range 200 {
		r.Update(80 * time.Millisecond)
	}
	assert.InDelta(t, float64(80*time.Millisecond), float64(r.SmoothedRTT()), float64(time.Millisecond))
	assert.Less(t, r.RTTVar(), time.Millisecond)
	assert.Equal(t, 100*time.Millisecond, r.ResendDelay(0, 100*time.Millisecond, time.Second), "clamped up to the floor")
}

func TestLossWindow(t *testing.T) {
	w := newLossWindow(10)
	assert.Zero(t, w.fraction())
	var tickets []uint64
	for i := range 10 {
		tickets = append(tickets, w.add(i%2 == 0))
	}
	assert.Equal(t, 0.5, w.fraction())
	w.unlose(tickets[0])
	assert.Equal(t, 0.4, w.fraction())
	w.unlose(tickets[0]) // idempotent
	w.unlose(tickets[1]) // was not lost
	assert.Equal(t, 0.4, w.fraction())
	for range 10 {
		w.add(false)
	}
	assert.Zero(t, w.fraction())
	w.unlose(tickets[2]) // out of the window: ignored
	assert.Zero(t, w.fraction())
	w.unlose(0)
	w.unlose(1 << 40)
	tk := w.add(true)
	assert.Equal(t, 0.1, w.fraction())
	w.unlose(tk)
	assert.Zero(t, w.fraction())
}

func TestRateEstimator(t *testing.T) {
	var r rateEstimator
	now := t0
	for range 100 { // 1000 bytes every 10 ms = 100 kB/s
		r.add(now, 1000)
		now = now.Add(10 * time.Millisecond)
	}
	assert.InDelta(t, 100_000, r.bytesPerSecond(), 5000)
}
