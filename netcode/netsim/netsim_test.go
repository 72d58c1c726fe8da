package netsim

import (
	"math"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const statPackets = 10_000

// sendBurst writes count datagrams of size bytes from c to dst, all at the
// current (virtual) instant.
func sendBurst(t *testing.T, c net.PacketConn, dst net.Addr, count, size int) {
	t.Helper()
	for i := range count {
		_, err := c.WriteTo(packet(uint64(i), time.Now(), size), dst)
		require.NoError(t, err)
	}
}

// pairSend returns a Conn wrapping a Network conn with cfg and a plain
// receiver whose queue holds a whole test run.
func pairSend(t *testing.T, cfg Config) (*Conn, net.PacketConn) {
	t.Helper()
	n := NewNetwork(NetworkConfig{QueueLen: 4 * statPackets})
	w := Wrap(listen(t, n), cfg)
	t.Cleanup(func() { w.Close() })
	return w, listen(t, n)
}

func TestLossStatistics(t *testing.T) {
	for _, dir := range []Direction{DirSend, DirRecv} {
		t.Run(dir.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				im := Impairment{Loss: 0.3}
				n := NewNetwork(NetworkConfig{QueueLen: 2 * statPackets})
				var w *Conn
				var src, dst net.PacketConn
				if dir == DirSend {
					w = Wrap(listen(t, n), Config{Send: im, Seed: 1})
					src, dst = w, listen(t, n)
				} else {
					w = Wrap(listen(t, n), Config{Recv: im, Seed: 1, RecvQueueLen: 2 * statPackets})
					src, dst = listen(t, n), w
				}
				defer w.Close()
				sendBurst(t, src, dst.LocalAddr(), statPackets, 32)
				synctest.Wait()
				got := readAll(t, dst, time.Millisecond, 2*statPackets)

				loss := 1 - float64(len(got))/statPackets
				t.Logf("%s: configured loss 0.30, measured %.4f", dir, loss)
				assert.InDelta(t, 0.3, loss, 0.02)
				s := w.Stats()
				ds := s.Send
				if dir == DirRecv {
					ds = s.Recv
				}
				assert.Equal(t, uint64(statPackets), ds.Packets)
				assert.Equal(t, uint64(statPackets*32), ds.Bytes)
				assert.Equal(t, uint64(statPackets-len(got)), ds.Dropped)
				assert.Equal(t, uint64(len(got)), ds.Delivered)
				assert.Zero(t, ds.Delayed+ds.Duplicated+ds.Reordered+ds.Overflow)
			})
		})
	}
}

func TestDuplicateStatistics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, dst := pairSend(t, Config{Send: Impairment{Duplicate: 0.1, Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}, Seed: 2})
		sendBurst(t, w, dst.LocalAddr(), statPackets, 32)
		got := readAll(t, dst, time.Second, 2*statPackets)
		seen := map[uint64]int{}
		for _, p := range got {
			seq, _ := parsePacket(p)
			seen[seq]++
		}
		require.Len(t, seen, statPackets, "no loss configured: every datagram arrives")
		dups := len(got) - statPackets
		t.Logf("configured duplication 0.10, measured %.4f", float64(dups)/statPackets)
		assert.InDelta(t, 0.1, float64(dups)/statPackets, 0.02)
		s := w.Stats().Send
		assert.Equal(t, uint64(dups), s.Duplicated)
		assert.Equal(t, uint64(len(got)), s.Delivered)
		assert.Equal(t, uint64(len(got)), s.Delayed)
	})
}

func TestReorderStatistics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		im := Impairment{Reorder: 0.1, Latency: 20 * time.Millisecond, ReorderDelay: 30 * time.Millisecond}
		w, dst := pairSend(t, Config{Send: im, Seed: 3})
		var wg sync.WaitGroup
		wg.Go(func() {
			// One datagram per virtual millisecond.
			for i := range statPackets {
				_, err := w.WriteTo(packet(uint64(i), time.Now(), 32), dst.LocalAddr())
				assert.NoError(t, err)
				time.Sleep(time.Millisecond)
			}
		})
		got := readAll(t, dst, time.Second, 2*statPackets)
		wg.Wait()
		require.Len(t, got, statPackets)
		late := 0
		maxSeq := uint64(0)
		for i, p := range got {
			seq, sent := parsePacket(p)
			_ = sent
			if i > 0 && seq < maxSeq {
				late++
			}
			maxSeq = max(maxSeq, seq)
		}
		t.Logf("configured reorder 0.10, measured %.4f", float64(late)/statPackets)
		assert.InDelta(t, 0.1, float64(late)/statPackets, 0.02)
		assert.Equal(t, uint64(late), w.Stats().Send.Reordered, "every held datagram was overtaken")
	})
}

func TestLatencyJitterBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lat, jit = 80 * time.Millisecond, 30 * time.Millisecond
		w, dst := pairSend(t, Config{Send: Impairment{Latency: lat, Jitter: jit}, Seed: 4})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range statPackets {
				_, err := w.WriteTo(packet(uint64(i), time.Now(), 32), dst.LocalAddr())
				assert.NoError(t, err)
				time.Sleep(time.Millisecond)
			}
		})
		var sum, sumSq float64
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		buf := make([]byte, 64)
		for range statPackets {
			n, _, err := dst.ReadFrom(buf)
			require.NoError(t, err)
			_, sent := parsePacket(buf[:n])
			d := time.Since(sent)
			lo, hi = min(lo, d), max(hi, d)
			sum += float64(d)
			sumSq += float64(d) * float64(d)
		}
		wg.Wait()
		mean := time.Duration(sum / statPackets)
		sd := time.Duration(math.Sqrt(sumSq/statPackets - (sum/statPackets)*(sum/statPackets)))
		t.Logf("one-way delay 80ms±30ms: min %v mean %v max %v sd %v", lo, mean, hi, sd)
		assert.GreaterOrEqual(t, lo, lat-jit)
		assert.LessOrEqual(t, hi, lat+jit)
		assert.Less(t, lo, lat-jit+time.Millisecond, "jitter reaches its lower bound")
		assert.Greater(t, hi, lat+jit-time.Millisecond, "jitter reaches its upper bound")
		assert.InDelta(t, float64(lat), float64(mean), float64(time.Millisecond))
		// Uniform on ±J has standard deviation J/√3.
		assert.InDelta(t, float64(jit)/math.Sqrt(3), float64(sd), float64(time.Millisecond))
	})
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 100_000, 1000 // 10 ms per datagram on the wire
		w, dst := pairSend(t, Config{Send: Impairment{RateBytesPerSec: rate, QueueBytes: 20_000}, Seed: 5})
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() {
			// Offer 200 kB/s for 2 s: twice the cap.
			for i := range 400 {
				_, err := w.WriteTo(packet(uint64(i), time.Now(), size), dst.LocalAddr())
				assert.NoError(t, err)
				time.Sleep(5 * time.Millisecond)
			}
		})
		var arrivals []time.Duration
		buf := make([]byte, 2048)
		for {
			require.NoError(t, dst.SetReadDeadline(time.Now().Add(time.Second)))
			_, _, err := dst.ReadFrom(buf)
			if err != nil {
				requireTimeout(t, err)
				break
			}
			arrivals = append(arrivals, time.Since(start))
			require.Less(t, len(arrivals), 1000)
		}
		wg.Wait()
		s := w.Stats().Send
		last := arrivals[len(arrivals)-1]
		tput := float64(len(arrivals)*size) / last.Seconds()
		t.Logf("rate cap 100000 B/s: delivered %d of 400 in %v (%.0f B/s), overflow %d", len(arrivals), last, tput, s.Overflow)
		assert.InDelta(t, rate, tput, 0.02*rate)
		for i := 1; i < len(arrivals); i++ {
			require.GreaterOrEqual(t, arrivals[i]-arrivals[i-1], 10*time.Millisecond, "spacing of datagram %d", i)
		}
		assert.Equal(t, uint64(400-len(arrivals)), s.Overflow)
		assert.Equal(t, s.Overflow, s.Dropped)
		// The queue holds at most 20 kB = 200 ms, so no datagram waits longer.
		assert.LessOrEqual(t, last, 2*time.Second+200*time.Millisecond)
	})
}

// runTrace pushes the same traffic through a Conn impaired both ways with
// the given seed and returns the recorded trace.
func runTrace(t *testing.T, seed int64) []Event {
	var rec Recorder
	synctest.Test(t, func(t *testing.T) {
		im := Impairment{Loss: 0.2, Duplicate: 0.1, Reorder: 0.1, Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond, RateBytesPerSec: 50_000}
		n := NewNetwork(NetworkConfig{QueueLen: 4096})
		w := Wrap(listen(t, n), Config{Send: im, Recv: im, Seed: seed, Trace: rec.Record})
		defer w.Close()
		peer := listen(t, n)
		var wg sync.WaitGroup
		wg.Go(func() { // echo
			buf := make([]byte, 2048)
			for {
				k, from, err := peer.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = peer.WriteTo(buf[:k], from)
			}
		})
		for i := range 1000 {
			_, err := w.WriteTo(packet(uint64(i), time.Now(), 100+i%400), peer.LocalAddr())
			require.NoError(t, err)
			time.Sleep(2 * time.Millisecond)
		}
		got := readAll(t, w, time.Second, 4000)
		require.NotEmpty(t, got)
		require.NoError(t, peer.Close())
		wg.Wait()
	})
	return rec.Events()
}

func TestSameSeedSameTrace(t *testing.T) {
	a, b, c := runTrace(t, 42), runTrace(t, 42), runTrace(t, 43)
	require.Len(t, a, len(b))
	require.Equal(t, a, b, "same seed, same traffic: same trace")
	assert.NotEqual(t, a, c, "different seed: different trace")
	var lost, dup, reord, over, recv int
	for _, e := range a {
		if e.Lost {
			lost++
		}
		if e.Duplicated {
			dup++
		}
		if e.Reordered {
			reord++
		}
		if e.Overflow {
			over++
		}
		if e.Dir == DirRecv {
			recv++
		}
	}
	t.Logf("trace: %d events (%d recv), lost %d dup %d reordered %d overflow %d", len(a), recv, lost, dup, reord, over)
	assert.NotZero(t, lost*dup*reord*recv)
}

func TestDecisionsIndependentOfTiming(t *testing.T) {
	// Without a rate cap the decisions depend only on the seed and the
	// datagram's index, not on when it is sent.
	im := Impairment{Loss: 0.2, Duplicate: 0.1, Reorder: 0.1, Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond}
	trace := func(pace time.Duration) []Event {
		var rec Recorder
		synctest.Test(t, func(t *testing.T) {
			w, dst := pairSend(t, Config{Send: im, Seed: 7, Trace: rec.Record})
			for i := range 500 {
				_, err := w.WriteTo(packet(uint64(i), time.Now(), 50), dst.LocalAddr())
				require.NoError(t, err)
				time.Sleep(pace)
			}
		})
		return rec.Events()
	}
	assert.Equal(t, trace(0), trace(3*time.Millisecond))
}

func TestConnDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, dst := pairSend(t, Config{Recv: Impairment{Latency: time.Second}})
		buf := make([]byte, 64)
		start := time.Now()
		require.NoError(t, w.SetReadDeadline(start.Add(100*time.Millisecond)))
		_, _, err := w.ReadFrom(buf)
		requireTimeout(t, err)
		assert.Equal(t, 100*time.Millisecond, time.Since(start))

		// A datagram still in flight when the deadline passes is not lost.
		_, err = dst.WriteTo([]byte("late"), w.LocalAddr())
		require.NoError(t, err)
		require.NoError(t, w.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
		_, _, err = w.ReadFrom(buf)
		requireTimeout(t, err)
		require.NoError(t, w.SetReadDeadline(time.Time{}))
		n, from, err := w.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "late", string(buf[:n]))
		assert.Equal(t, dst.LocalAddr().(*net.UDPAddr).AddrPort(), from.(*net.UDPAddr).AddrPort())
		assert.Equal(t, start.Add(100*time.Millisecond+time.Second), time.Now())

		require.NoError(t, w.SetDeadline(time.Now()))
		_, err = w.WriteTo([]byte("x"), dst.LocalAddr())
		requireTimeout(t, err)
		_, _, err = w.ReadFrom(buf)
		requireTimeout(t, err)
	})
}

func TestConnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, dst := pairSend(t, Config{Send: Impairment{Latency: time.Hour}, Recv: Impairment{Latency: time.Hour}})
		// Datagrams in flight both ways when Close comes.
		_, err := w.WriteTo([]byte("x"), dst.LocalAddr())
		require.NoError(t, err)
		_, err = dst.WriteTo([]byte("y"), w.LocalAddr())
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _, err := w.ReadFrom(make([]byte, 8))
			assert.ErrorIs(t, err, net.ErrClosed)
		})
		synctest.Wait()
		require.NoError(t, w.Close())
		require.NoError(t, w.Close())
		wg.Wait()
		_, _, err = w.ReadFrom(make([]byte, 8))
		require.ErrorIs(t, err, net.ErrClosed)
		_, err = w.WriteTo([]byte("x"), dst.LocalAddr())
		require.ErrorIs(t, err, net.ErrClosed)
		// The wrapped conn is closed too: its address is free again.
		_, err = dst.WriteTo([]byte("z"), w.LocalAddr())
		require.NoError(t, err)
		// synctest.Test fails if any goroutine of w is still running.
	})
}

func TestInnerClosedUnderneath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		inner := listen(t, n)
		w := Wrap(inner, Config{})
		defer w.Close()
		require.NoError(t, inner.Close())
		_, _, err := w.ReadFrom(make([]byte, 8))
		require.ErrorIs(t, err, net.ErrClosed)
	})
}

func TestZeroConfigPassThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, dst := pairSend(t, Config{})
		sendBurst(t, w, dst.LocalAddr(), 100, 20)
		got := readAll(t, dst, time.Millisecond, 200)
		require.Len(t, got, 100)
		for i, p := range got {
			seq, _ := parsePacket(p)
			require.Equal(t, uint64(i), seq)
		}
		assert.Equal(t, uint64(0), w.Stats().Send.Delayed)
	})
}
