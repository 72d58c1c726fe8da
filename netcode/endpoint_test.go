package netcode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

// sendHeaderOnly sends one packet carrying just a header, as Flush does for
// an ack, whether or not anything is pending.
func sendHeaderOnly(e *Endpoint, now time.Time, send func([]byte) error) error {
	w := packetWriter{e: e, now: now, send: send}
	w.begin()
	w.finish()
	return w.err
}

// sendOnePacket sends exactly one header-only packet but books it as one
// carrying messages, so it counts for loss like a data packet.
func sendOnePacket(e *Endpoint, now time.Time, send func([]byte) error) error {
	seq := e.seq
	err := sendHeaderOnly(e, now, send)
	e.sent.Find(seq).ackOnly = false
	return err
}

// TestAcksAcrossWraps sends 200,000 packets each way (three wraps of the
// 16-bit sequence) with 20% loss and light reordering in both directions,
// and checks that every sequence a header acknowledges was really received,
// that every packet the peer received ends up acknowledged, and that the
// loss estimate matches.
func TestAcksAcrossWraps(t *testing.T) {
	const packets = 200_000
	const loss = 0.2
	rng := rand.New(rand.NewPCG(42, 42))
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})

	var (
		absOf      [1 << 16]int // a's sequence → index of the latest packet a sent with it
		receivedB  = make([]bool, packets)
		receivedN  int
		sentAbs    int
		now        = t0
		toB, toA   [][]byte // in flight, delivered oldest first with random holdbacks
		checkedAck int
	)
	deliver := func(q *[][]byte, to *Endpoint, onPacket func([]byte)) {
		keep := (*q)[:0]
		for _, p := range *q {
			if rng.IntN(4) == 0 && len(keep) < 4 { // hold back: reordering
				keep = append(keep, p)
				continue
			}
			if onPacket != nil {
				onPacket(p)
			}
			if err := to.Receive(now, p); err != nil {
				t.Fatal(err)
			}
		}
		*q = keep
	}
	for range packets {
		now = now.Add(time.Millisecond)
		_ = sendOnePacket(a, now, func(p []byte) error {
			h, _, _ := ParsePacketHeader(p)
			absOf[h.Sequence] = sentAbs
			sentAbs++
			if rng.Float64() >= loss {
				toB = append(toB, bytes.Clone(p))
			}
			return nil
		})
		deliver(&toB, b, func(p []byte) {
			h, _, _ := ParsePacketHeader(p)
			if abs := absOf[h.Sequence]; !receivedB[abs] {
				receivedB[abs] = true
				receivedN++
			}
		})
		_ = sendOnePacket(b, now, func(p []byte) error {
			h, _, _ := ParsePacketHeader(p)
			if b.recv.started {
				for i := range uint16(AckBitsLen + 1) {
					s := h.Ack - i
					if h.Acks(s) {
						if !receivedB[absOf[s]] {
							t.Fatalf("b acks %d (packet %d) it never received", s, absOf[s])
						}
						checkedAck++
					}
				}
			}
			if rng.Float64() >= loss {
				toA = append(toA, bytes.Clone(p))
			}
			return nil
		})
		deliver(&toA, a, nil)
		// Whatever a believes acked was received (checked every 32 packets
		// over the last 40, so every packet is looked at while tracked).
		for i := range uint16(40) {
			if a.seq%32 != 0 {
				break
			}
			s := a.seq - 1 - i
			if p := a.sent.Find(s); p != nil && p.acked && !receivedB[absOf[s]] {
				t.Fatalf("a thinks %d (packet %d) acked, b never received it", s, absOf[s])
			}
		}
	}
	st := a.Stats()
	assert.Equal(t, uint64(packets), st.PacketsSent)
	assert.Greater(t, checkedAck, packets)
	// Every received packet is acked, except the last few still in flight
	// (and the rare one whose 33 acks were all lost).
	assert.InDelta(t, receivedN, int(st.PacketsAcked), 50)
	assert.InDelta(t, loss, st.Loss, 0.02)
	assert.Equal(t, st.Loss, a.Loss(), "Loss is Stats().Loss without the rest")
	assert.InDelta(t, float64(packets)*loss, float64(st.PacketsLost), float64(packets)*0.01)
}

func exchange(t *testing.T, now time.Time, from, to *Endpoint) int {
	t.Helper()
	n := 0
	require.NoError(t, from.Flush(now, func(p []byte) error {
		n++
		require.LessOrEqual(t, len(p), from.Config().MaxPacketSize)
		return to.Receive(now, p)
	}))
	return n
}

func TestEndpointReliableLossless(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	big := make([]byte, 50_000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	msgs := [][]byte{[]byte("one"), {}, big, []byte("four")}
	for _, m := range msgs {
		require.NoError(t, a.SendReliable(m))
	}
	assert.Equal(t, 1+1+43+1, a.Stats().ReliableInFlight)
	now := t0
	var pkts [][]byte
	require.NoError(t, a.Flush(now, func(p []byte) error { pkts = append(pkts, bytes.Clone(p)); return nil }))
	now = now.Add(10 * time.Millisecond)
	for _, p := range pkts { // the peer acks every packet as it arrives
		require.NoError(t, b.Receive(now, p))
		exchange(t, now.Add(10*time.Millisecond), b, a)
	}
	for _, want := range msgs {
		got, ok := b.NextReliable()
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	_, ok := b.NextReliable()
	assert.False(t, ok)
	assert.Zero(t, a.Stats().ReliableInFlight)
	assert.Equal(t, 20*time.Millisecond, a.Stats().RTT)
	// Nothing due but an ack for b's ack-only packets, then nothing at all.
	require.NoError(t, a.Flush(now.Add(time.Second), func(p []byte) error {
		_, n, err := ParsePacketHeader(p)
		require.NoError(t, err)
		assert.Equal(t, len(p), n, "a header and nothing else")
		return nil
	}))
	assert.Zero(t, exchange(t, now.Add(2*time.Second), a, b))
	assert.Zero(t, a.Stats().ReliableResent)
}

func TestEndpointReliableResendAndOrder(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	rng := rand.New(rand.NewPCG(9, 9))
	now := t0
	const n = 2000
	next := 0
	var got [][]byte
	for step := 0; step < 20000 && len(got) < n; step++ {
		now = now.Add(10 * time.Millisecond)
		for next < n {
			msg := binary.BigEndian.AppendUint32(nil, uint32(next))
			msg = append(msg, make([]byte, rng.IntN(3000))...)
			if err := a.SendReliable(msg); err != nil {
				require.ErrorIs(t, err, ErrWindowFull)
				break
			}
			next++
		}
		require.NoError(t, a.Flush(now, func(p []byte) error {
			if rng.Float64() < 0.4 {
				return nil
			}
			return b.Receive(now, p)
		}))
		require.NoError(t, b.Flush(now, func(p []byte) error {
			if rng.Float64() < 0.4 {
				return nil
			}
			return a.Receive(now, p)
		}))
		for {
			m, ok := b.NextReliable()
			if !ok {
				break
			}
			got = append(got, m)
		}
	}
	if len(got) != n {
		t.Fatalf("got %d messages, want %d; stats a %+v b %+v", len(got), n, a.Stats(), b.Stats())
	}
	for i, m := range got {
		require.Equal(t, uint32(i), binary.BigEndian.Uint32(m))
	}
	assert.NotZero(t, a.Stats().ReliableResent)
}

func TestEndpointReliableBackpressure(t *testing.T) {
	cfg := EndpointConfig{ReliableWindow: 16, MaxMessageSize: 1000}
	a, b := NewEndpoint(cfg), NewEndpoint(cfg)
	msg := make([]byte, 1000)
	now := t0
	sent := 0
	for step := 0; step < 200; step++ {
		now = now.Add(10 * time.Millisecond)
		for a.SendReliable(msg) == nil {
			sent++
		}
		exchange(t, now, a, b)
		exchange(t, now, b, a)
	}
	st := b.Stats()
	assert.NotZero(t, st.PacketsDropped)
	assert.LessOrEqual(t, b.readyBytes, b.readyLimit()+1000)
	got := 0
	for {
		if _, ok := b.NextReliable(); !ok {
			break
		}
		got++
	}
	assert.Zero(t, b.readyBytes)
	assert.Greater(t, sent, got, "the sender was held back")
	// Once drained, the rest flows.
	for step := 0; step < 200 && got < sent; step++ {
		now = now.Add(300 * time.Millisecond)
		exchange(t, now, a, b)
		exchange(t, now, b, a)
		for {
			if _, ok := b.NextReliable(); !ok {
				break
			}
			got++
		}
	}
	assert.Equal(t, sent, got)
}

func TestEndpointSendErrors(t *testing.T) {
	a := NewEndpoint(EndpointConfig{ReliableWindow: 4, MaxMessageSize: 10_000})
	require.ErrorIs(t, a.SendReliable(make([]byte, 10_001)), ErrMessageTooLarge)
	require.ErrorIs(t, a.SendUnreliable(make([]byte, 10_001)), ErrMessageTooLarge)
	require.ErrorIs(t, a.SendReliable(make([]byte, 6000)), ErrMessageTooLarge, "6 fragments never fit a window of 4")
	require.NoError(t, a.SendReliable(make([]byte, 3000))) // 3 fragments
	require.NoError(t, a.SendReliable([]byte("x")))
	require.ErrorIs(t, a.SendReliable([]byte("y")), ErrWindowFull)
	for range maxUnreliableQueue {
		require.NoError(t, a.SendUnreliable(nil))
	}
	require.ErrorIs(t, a.SendUnreliable(nil), ErrQueueFull)
}

func TestEndpointConfigDefaults(t *testing.T) {
	c := NewEndpoint(EndpointConfig{}).Config()
	assert.Equal(t, EndpointConfig{MaxPacketSize: 1200, MaxMessageSize: 64 << 10, ReliableWindow: 256, LossWindow: 4096}, c)
	c = NewEndpoint(EndpointConfig{MaxPacketSize: 1, MaxMessageSize: 1 << 30, ReliableWindow: 1 << 20}).Config()
	assert.Equal(t, minPacketSize, c.MaxPacketSize)
	assert.Equal(t, MaxFragments*fragmentPayload(minPacketSize), c.MaxMessageSize)
	assert.Equal(t, maxReliableWindow, c.ReliableWindow)
}

func TestEndpointUnreliableNewestWins(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	var pkts [][]byte
	for i := range 3 {
		require.NoError(t, a.SendUnreliable([]byte{byte(i)}))
		require.NoError(t, a.Flush(t0, func(p []byte) error { pkts = append(pkts, bytes.Clone(p)); return nil }))
	}
	require.Len(t, pkts, 3)
	require.NoError(t, b.Receive(t0, pkts[1]))
	require.NoError(t, b.Receive(t0, pkts[0])) // stale: dropped
	require.NoError(t, b.Receive(t0, pkts[2]))
	require.NoError(t, b.Receive(t0, pkts[2])) // duplicate packet
	var got []byte
	for {
		m, ok := b.NextUnreliable()
		if !ok {
			break
		}
		got = append(got, m...)
	}
	assert.Equal(t, []byte{1, 2}, got)
	st := b.Stats()
	assert.Equal(t, uint64(1), st.UnreliableStale)
	assert.Equal(t, uint64(1), st.PacketsDuplicate)
	// Nothing reliable is sent for unreliable traffic.
	_, ok := b.NextReliable()
	assert.False(t, ok)
}

func TestEndpointUnreliableFragmented(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	big := bytes.Repeat([]byte("snapshot"), 2000) // 16 KB: 14 fragments
	flush := func() [][]byte {
		var pkts [][]byte
		require.NoError(t, a.Flush(t0, func(p []byte) error { pkts = append(pkts, bytes.Clone(p)); return nil }))
		return pkts
	}
	require.NoError(t, a.SendUnreliable(big))
	require.NoError(t, a.SendUnreliable([]byte("small"))) // shares the last fragment's packet
	pkts := flush()
	require.Equal(t, 14, len(pkts))
	rng := rand.New(rand.NewPCG(1, 1))
	rng.Shuffle(len(pkts), func(i, j int) { pkts[i], pkts[j] = pkts[j], pkts[i] })
	for _, p := range pkts {
		require.NoError(t, b.Receive(t0, p))
	}
	var got [][]byte
	for {
		m, ok := b.NextUnreliable()
		if !ok {
			break
		}
		got = append(got, m)
	}
	// The small message (newer) may complete before the big one: then the
	// big one is stale and dropped. Either way the newest wins.
	require.NotEmpty(t, got)
	assert.Equal(t, []byte("small"), got[len(got)-1])
	if len(got) == 2 {
		assert.Equal(t, big, got[0])
	}

	// In order: both arrive.
	require.NoError(t, a.SendUnreliable(big))
	require.NoError(t, a.SendUnreliable([]byte("small")))
	for _, p := range flush() {
		require.NoError(t, b.Receive(t0, p))
	}
	m, _ := b.NextUnreliable()
	assert.Equal(t, big, m)
	m, _ = b.NextUnreliable()
	assert.Equal(t, []byte("small"), m)

	// A newer message completing first makes the older partial stale.
	require.NoError(t, a.SendUnreliable(big))
	pkts = flush()
	require.NoError(t, a.SendUnreliable([]byte("newer")))
	newer := flush()
	require.Equal(t, 1, len(newer))
	evicted := b.Stats().FragmentsEvicted
	require.NoError(t, b.Receive(t0, pkts[0]))
	require.NoError(t, b.Receive(t0, newer[0]))
	for _, p := range pkts[1:] {
		require.NoError(t, b.Receive(t0, p))
	}
	m, _ = b.NextUnreliable()
	assert.Equal(t, []byte("newer"), m)
	_, ok := b.NextUnreliable()
	assert.False(t, ok)
	assert.Equal(t, evicted+1, b.Stats().FragmentsEvicted)
}

func TestEndpointReceiveMalformed(t *testing.T) {
	a := NewEndpoint(EndpointConfig{})
	require.NoError(t, a.SendReliable([]byte("hello")))
	var good []byte
	require.NoError(t, a.Flush(t0, func(p []byte) error { good = bytes.Clone(p); return nil }))
	tests := map[string][]byte{
		"empty":      {},
		"shortHdr":   good[:5],
		"version":    append([]byte{9}, good[1:]...),
		"truncated":  good[:len(good)-1],
		"badKind":    append(bytes.Clone(good), 0x09, 0, 0),
		"trailingOk": append(bytes.Clone(good), 0x01),
	}
	for name, p := range tests {
		b := NewEndpoint(EndpointConfig{})
		err := b.Receive(t0, p)
		require.Error(t, err, name)
		assert.True(t, errorsIsAny(err, ErrMalformed, io.ErrUnexpectedEOF, ErrUnsupportedVersion), name)
		assert.Zero(t, b.Stats().PacketsReceived, "%s: no state change", name)
		_, ok := b.NextReliable()
		assert.False(t, ok)
	}
	// Over the receiver's own message limit.
	small := NewEndpoint(EndpointConfig{MaxMessageSize: 3})
	require.ErrorIs(t, small.Receive(t0, good), ErrMalformed)
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errorsIs(err, t) {
			return true
		}
	}
	return false
}

func TestEndpointAckAllocs(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	now := t0
	toB := func(p []byte) error { return b.Receive(now, p) }
	toA := func(p []byte) error { return a.Receive(now, p) }
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Millisecond)
		_ = sendHeaderOnly(a, now, toB)
		_ = sendHeaderOnly(b, now, toA)
	})
	assert.Zero(t, allocs, "ack-only exchange")

	msg := make([]byte, 100)
	allocs = testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Millisecond)
		_ = a.SendUnreliable(msg)
		_ = a.Flush(now, func([]byte) error { return nil })
	})
	assert.Zero(t, allocs, "unreliable send and flush")

	// processAcks on fresh, unacknowledged packets.
	h := PacketHeader{Ack: a.seq + 100, AckBits: ^uint32(0)}
	allocs = testing.AllocsPerRun(1000, func() {
		for i := range uint16(AckBitsLen + 1) {
			p := a.sent.Insert(h.Ack - i)
			*p = sentPacket{at: now, size: 10}
		}
		a.processAcks(now.Add(time.Millisecond), h)
	})
	assert.Zero(t, allocs, "processAcks")
}

func TestEndpointStats(t *testing.T) {
	a, b := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	now := t0
	for range 200 {
		now = now.Add(10 * time.Millisecond)
		require.NoError(t, a.SendUnreliable(make([]byte, 100)))
		exchange(t, now, a, b)
		exchange(t, now.Add(20*time.Millisecond), b, a)
		for {
			if _, ok := b.NextUnreliable(); !ok {
				break
			}
		}
	}
	st := a.Stats()
	assert.Equal(t, 20*time.Millisecond, st.RTT)
	assert.Zero(t, st.RTTVar.Round(time.Millisecond))
	assert.Zero(t, st.Loss)
	// 100 + header + chunk overhead bytes every 10 ms; with nothing lost every header
	// acknowledges all of the last 33 packets, in its shortest form.
	hdr := PacketHeader{AckBits: ^uint32(0)}.Len()
	perPacket := float64(hdr + 1 + 2 + 2 + 100)
	assert.InDelta(t, perPacket*100, st.SentBps, perPacket*10)
	assert.InDelta(t, perPacket*100, st.AckedBps, perPacket*10)
	assert.InDelta(t, float64(hdr)*100, st.RecvBps, float64(hdr)*15)
	assert.Equal(t, uint64(200), st.UnreliableSent)
	assert.Equal(t, uint64(200), b.Stats().UnreliableDelivered+0*st.UnreliableDelivered)
}

func FuzzEndpointReceive(f *testing.F) {
	a := NewEndpoint(EndpointConfig{})
	_ = a.SendReliable([]byte("hello"))
	_ = a.SendReliable(bytes.Repeat([]byte{1}, 3000))
	_ = a.SendUnreliable([]byte("u"))
	_ = a.SendUnreliable(bytes.Repeat([]byte{2}, 2500))
	_ = a.Flush(t0, func(p []byte) error { f.Add(bytes.Clone(p)); return nil })
	f.Add([]byte{})
	f.Add(PacketHeader{Sequence: 1}.Append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		p = bytes.Clone(p) // rewritten below
		e := NewEndpoint(EndpointConfig{MaxMessageSize: 8000})
		// Feed the packet, then variants with other sequence numbers, so
		// fragments can meet.
		for i := range 4 {
			if len(p) >= PacketHeaderLen {
				p[1] = byte(i)
			}
			if err := e.Receive(t0, p); err != nil {
				continue
			}
		}
		for range 1000 {
			m, ok := e.NextReliable()
			if !ok {
				break
			}
			require.LessOrEqual(t, len(m), 8000)
		}
		for range 1000 {
			m, ok := e.NextUnreliable()
			if !ok {
				break
			}
			require.LessOrEqual(t, len(m), 8000)
		}
		_ = e.Flush(t0, func([]byte) error { return nil })
	})
}

func BenchmarkAckProcessing(b *testing.B) {
	b.ReportAllocs()
	a := NewEndpoint(EndpointConfig{})
	h := PacketHeader{Ack: 100, AckBits: ^uint32(0)}
	for b.Loop() {
		for i := range uint16(AckBitsLen + 1) {
			p := a.sent.Insert(h.Ack - i)
			*p = sentPacket{at: t0, size: 10}
		}
		a.processAcks(t0.Add(time.Millisecond), h)
	}
}

func BenchmarkEndpointFlush(b *testing.B) {
	b.ReportAllocs()
	a := NewEndpoint(EndpointConfig{})
	msg := make([]byte, 100)
	n := 0
	send := func(p []byte) error { n += len(p); return nil }
	for b.Loop() {
		_ = a.SendUnreliable(msg)
		_ = a.Flush(t0, send)
	}
}

func BenchmarkEndpointFlushReceive(b *testing.B) {
	b.ReportAllocs()
	x, y := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	msg := make([]byte, 100)
	now := t0
	toY := func(p []byte) error { return y.Receive(now, p) }
	toX := func(p []byte) error { return x.Receive(now, p) }
	for b.Loop() {
		now = now.Add(time.Millisecond)
		_ = x.SendReliable(msg)
		_ = x.SendUnreliable(msg)
		_ = x.Flush(now, toY)
		_ = y.Flush(now, toX)
		_, _ = y.NextReliable()
		_, _ = y.NextUnreliable()
	}
}

func BenchmarkEndpointReceive(b *testing.B) {
	b.ReportAllocs()
	// Pre-build a cycle of packets covering every sequence once, so each
	// Receive sees a fresh sequence (the receiver's window wraps with it).
	x := NewEndpoint(EndpointConfig{})
	msg := make([]byte, 100)
	var pkts [][]byte
	for range 1 << 16 {
		_ = x.SendUnreliable(msg)
		_ = x.Flush(t0, func(p []byte) error { pkts = append(pkts, bytes.Clone(p)); return nil })
	}
	y := NewEndpoint(EndpointConfig{})
	i := 0
	for b.Loop() {
		if err := y.Receive(t0, pkts[i]); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) & (1<<16 - 1)
		if i&255 == 0 {
			y.unrelReady, y.unrelNext = y.unrelReady[:0], 0
		}
	}
}

var errorsIs = errors.Is
