package netcode

import "time"

// RTTStats estimates round-trip time from samples the way RFC 6298 and
// quic-go's rtt_stats do: the first sample sets the smoothed RTT to the
// sample and the variance to half of it; later samples move them by 1/8 and
// 1/4 of the error. That reacts within a few samples, as resend timing
// needs, but on a jittery link it wanders by about a quarter of the
// samples' spread; MeanRTT is a slower average (1/64 per sample, in the
// spirit of reliable.io's much smaller smoothing factor) for display and
// for estimates such as lag compensation. The zero value is ready to use.
type RTTStats struct {
	latest, smoothed, variance, min, mean time.Duration
	hasSample                             bool
}

// Update adds one round-trip sample. Non-positive samples are ignored.
func (r *RTTStats) Update(sample time.Duration) {
	if sample <= 0 {
		return
	}
	r.latest = sample
	if !r.hasSample {
		r.hasSample = true
		r.smoothed, r.variance, r.min, r.mean = sample, sample/2, sample, sample
		return
	}
	r.mean += (sample - r.mean) / 64
	r.min = min(r.min, sample)
	diff := r.smoothed - sample
	if diff < 0 {
		diff = -diff
	}
	r.variance = (3*r.variance + diff) / 4
	r.smoothed = (7*r.smoothed + sample) / 8
}

// HasSample reports whether any sample arrived.
func (r *RTTStats) HasSample() bool { return r.hasSample }

// SmoothedRTT returns the smoothed RTT (0 before the first sample).
func (r *RTTStats) SmoothedRTT() time.Duration { return r.smoothed }

// MeanRTT returns the slow moving average of the samples (weight 1/64).
func (r *RTTStats) MeanRTT() time.Duration { return r.mean }

// RTTVar returns the mean deviation of the RTT.
func (r *RTTStats) RTTVar() time.Duration { return r.variance }

// MinRTT returns the smallest sample seen.
func (r *RTTStats) MinRTT() time.Duration { return r.min }

// LatestRTT returns the last sample.
func (r *RTTStats) LatestRTT() time.Duration { return r.latest }

// ResendDelay returns how long to wait for an ack before resending:
// smoothed RTT + 4·RTTVar (RFC 6298's RTO without its 1 s floor, since game
// traffic wants fast repair), clamped to [min, max]; initial before the
// first sample.
func (r *RTTStats) ResendDelay(initial, lo, hi time.Duration) time.Duration {
	if !r.hasSample {
		return initial
	}
	d := r.smoothed + 4*r.variance
	return min(max(d, lo), hi)
}

// lossWindow tracks the fate (acked or lost) of the last n decided packets
// as a ring of bits, so the loss fraction is exact over the window.
type lossWindow struct {
	bits  []uint64
	n     int // capacity in packets
	pos   int
	count int
	lost  int
	total uint64 // outcomes ever added
}

func newLossWindow(n int) lossWindow {
	return lossWindow{bits: make([]uint64, (n+63)/64), n: n}
}

// add records one outcome and returns its ticket for unlose.
func (w *lossWindow) add(lost bool) uint64 {
	word, bit := w.pos/64, uint(w.pos%64)
	if w.count == w.n {
		if w.bits[word]&(1<<bit) != 0 {
			w.lost--
		}
	} else {
		w.count++
	}
	if lost {
		w.bits[word] |= 1 << bit
		w.lost++
	} else {
		w.bits[word] &^= 1 << bit
	}
	w.pos++
	if w.pos == w.n {
		w.pos = 0
	}
	w.total++
	return w.total
}

// unlose turns the lost outcome with the given ticket into a delivered one,
// if it is still in the window: a late acknowledgement arrived.
func (w *lossWindow) unlose(ticket uint64) {
	if ticket == 0 || ticket > w.total || w.total-ticket >= uint64(w.count) {
		return
	}
	back := int(w.total - ticket) // 0 = the newest
	pos := ((w.pos-1-back)%w.n + w.n) % w.n
	word, bit := pos/64, uint(pos%64)
	if w.bits[word]&(1<<bit) != 0 {
		w.bits[word] &^= 1 << bit
		w.lost--
	}
}

func (w *lossWindow) fraction() float64 {
	if w.count == 0 {
		return 0
	}
	return float64(w.lost) / float64(w.count)
}

// rateEstimator measures bytes per second over buckets of rateBucket and
// smooths the bucket rates with an exponential moving average.
type rateEstimator struct {
	start  time.Time
	bytes  int
	rate   float64
	primed bool
}

const (
	rateBucket = 250 * time.Millisecond
	rateAlpha  = 0.25
)

func (r *rateEstimator) add(now time.Time, n int) {
	r.roll(now)
	r.bytes += n
}

// roll closes the current bucket if it is over; idle buckets count as zero.
func (r *rateEstimator) roll(now time.Time) {
	if r.start.IsZero() {
		r.start = now
		return
	}
	el := now.Sub(r.start)
	if el < rateBucket {
		return
	}
	sample := float64(r.bytes) / el.Seconds()
	if !r.primed {
		r.rate, r.primed = sample, true
	} else {
		r.rate += rateAlpha * (sample - r.rate)
	}
	r.start, r.bytes = now, 0
}

func (r *rateEstimator) bytesPerSecond() float64 { return r.rate }
