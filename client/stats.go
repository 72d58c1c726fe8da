package client

import (
	"math"
	"slices"
	"time"
)

// Stats is what a connection measures, for the net graph and the bots' summary.
type Stats struct {
	RTT             time.Duration // smoothed round-trip time of the game connection
	Loss            float64       // packet loss 0..1 as the channel layer measures it
	SnapshotLoss    float64       // fraction of snapshots lost, as the interpolator measures it
	KbpsIn, KbpsOut float64       // kilobits per second on the wire over the last second
	SnapshotRate    float64       // snapshots received per second over the last second
	InterpDelay     time.Duration // current interpolation delay
	PredictionError float64       // last prediction error in world units
	StateAge        time.Duration // age of the newest server state shown (interpolated world + RTT/2)
	Pending         int           // inputs sent but not yet processed by the server

	// Counters since the connection started.
	SnapshotsReceived uint64
	BytesIn, BytesOut uint64 // UDP payload bytes on the wire
	PacketsIn         uint64
	PacketsOut        uint64
	InputsSent        uint64 // input ticks sampled and sent (each at least once)
	InterpSamples     uint64
	InterpGaps        uint64
}

// meter turns a cumulative counter into a rate over the last second.
type meter struct {
	at  [64]time.Time
	val [64]uint64
	n   int // samples written
}

const meterWindow = time.Second

// record notes the counter's value at now; call it at a steady pace (every tick).
func (m *meter) record(now time.Time, v uint64) {
	if m.n > 0 && now.Sub(m.at[(m.n-1)%len(m.at)]) < meterWindow/time.Duration(len(m.at)) {
		m.val[(m.n-1)%len(m.at)] = v
		return
	}
	m.at[m.n%len(m.at)], m.val[m.n%len(m.at)] = now, v
	m.n++
}

// rate returns units per second between the oldest sample in the window and the newest.
func (m *meter) rate(now time.Time) float64 {
	if m.n < 2 {
		return 0
	}
	newest := (m.n - 1) % len(m.at)
	oldest := newest
	for k := 1; k < min(m.n, len(m.at)); k++ {
		i := (m.n - 1 - k) % len(m.at)
		if now.Sub(m.at[i]) > meterWindow {
			break
		}
		oldest = i
	}
	dt := m.at[newest].Sub(m.at[oldest]).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(m.val[newest]-m.val[oldest]) / dt
}

// Histogram keeps values for percentiles. It keeps at most a fixed number of values, by
// reservoir sampling beyond that, so a long run costs bounded memory.
type Histogram struct {
	vals  []float64
	seen  uint64
	rng   uint64
	limit int
}

// histogramLimit is the number of values a Histogram keeps.
const histogramLimit = 4096

// Add records v.
func (h *Histogram) Add(v float64) {
	if math.IsNaN(v) {
		return
	}
	if h.limit == 0 {
		h.limit = histogramLimit
		h.rng = 0x9e3779b97f4a7c15
	}
	h.seen++
	if len(h.vals) < h.limit {
		h.vals = append(h.vals, v)
		return
	}
	// xorshift64 for a replaceable slot
	h.rng ^= h.rng << 13
	h.rng ^= h.rng >> 7
	h.rng ^= h.rng << 17
	if j := h.rng % h.seen; j < uint64(h.limit) {
		h.vals[j] = v
	}
}

// Merge adds all values of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for _, v := range o.vals {
		h.Add(v)
	}
}

// Count is the number of values added.
func (h *Histogram) Count() uint64 { return h.seen }

// Quantile returns the q-quantile (0..1) of the values kept, 0 when empty.
func (h *Histogram) Quantile(q float64) float64 {
	if len(h.vals) == 0 {
		return 0
	}
	s := slices.Clone(h.vals)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
