package gameserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchConnDeliversEverything: datagrams written from many goroutines all arrive, intact,
// through the batching writer; Close is safe twice and later writes fail.
func TestBatchConnDeliversEverything(t *testing.T) {
	rx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer rx.Close()
	require.NoError(t, rx.(*net.UDPConn).SetReadBuffer(4<<20))
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(tx.(*net.UDPConn))

	const writers, each = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var p [64]byte
				binary.LittleEndian.PutUint32(p[:], uint32(w*each+i))
				n, err := bc.WriteTo(p[:8+i%50], rx.LocalAddr())
				assert.NoError(t, err)
				assert.Equal(t, 8+i%50, n)
			}
		}()
	}
	wg.Wait()
	seen := make(map[uint32]bool)
	buf := make([]byte, 2048)
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(10*time.Second)))
	for len(seen) < writers*each {
		n, _, err := rx.ReadFrom(buf)
		require.NoError(t, err, "received %d of %d", len(seen), writers*each)
		id := binary.LittleEndian.Uint32(buf[:4])
		require.Equal(t, 8+int(id%each)%50, n, "datagram %d length", id)
		seen[id] = true
	}
	require.NoError(t, bc.Close())
	require.NoError(t, bc.Close(), "Close twice")
	_, err = bc.WriteTo([]byte{1}, rx.LocalAddr())
	require.ErrorIs(t, err, net.ErrClosed)
}

// TestBatchConnHoldSendsOnRelease: while held, writes wait; release sends them all from the
// caller before it returns.
func TestBatchConnHoldSendsOnRelease(t *testing.T) {
	rx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer rx.Close()
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(tx.(*net.UDPConn))
	defer bc.Close()

	buf := make([]byte, 64)
	for round := range 3 {
		bc.hold()
		for i := range 10 {
			_, err := bc.WriteTo([]byte{byte(round), byte(i)}, rx.LocalAddr())
			require.NoError(t, err)
		}
		require.NoError(t, rx.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
		_, _, err = rx.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "round %d: nothing leaves while held", round)
		bc.release()
		// Sent by release itself: already in rx's socket buffer.
		require.NoError(t, rx.SetReadDeadline(time.Now().Add(time.Second)))
		for i := range 10 {
			n, _, err := rx.ReadFrom(buf)
			require.NoError(t, err)
			require.Equal(t, []byte{byte(round), byte(i)}, buf[:n])
		}
	}
}

// TestBatchConnReadsBatches: datagrams from two senders are read back intact and in order
// per sender, with their source addresses, through batched reads; reading allocates nothing
// for a known source; deadlines and Close end a blocked read.
func TestBatchConnReadsBatches(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(c.(*net.UDPConn))
	defer bc.Close()
	var senders []net.PacketConn
	for range 2 {
		s, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer s.Close()
		senders = append(senders, s)
	}
	const each = 150 // more than one batch
	for i := range each {
		for k, s := range senders {
			p := make([]byte, 3+i%40)
			p[0], p[1], p[2] = byte(k), byte(i), byte(i>>8)
			_, err := s.WriteTo(p, bc.LocalAddr())
			require.NoError(t, err)
		}
	}
	next := make([]int, len(senders))
	buf := make([]byte, 2048)
	require.NoError(t, bc.SetReadDeadline(time.Now().Add(10*time.Second)))
	for range each * len(senders) {
		n, addr, err := bc.ReadFrom(buf)
		require.NoError(t, err)
		k := int(buf[0])
		require.Less(t, k, len(senders))
		assert.Equal(t, senders[k].LocalAddr().String(), addr.String(), "source address")
		i := int(buf[1]) | int(buf[2])<<8
		require.Equal(t, next[k], i, "sender %d in order", k)
		require.Equal(t, 3+i%40, n, "length")
		next[k]++
	}

	// ReadFromUDPAddrPort (what netcode/secure reads with) takes the same batches.
	for i := range 5 {
		_, err := senders[1].WriteTo([]byte{1, byte(i), 0}, bc.LocalAddr())
		require.NoError(t, err)
	}
	for i := range 5 {
		n, ap, err := bc.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		assert.Equal(t, senders[1].LocalAddr().(*net.UDPAddr).AddrPort(), ap)
		assert.Equal(t, []byte{1, byte(i), 0}, buf[:n])
	}

	// A known source's datagrams cost no allocation.
	for i := range 60 {
		_, err := senders[0].WriteTo([]byte{0, byte(i), 0}, bc.LocalAddr())
		require.NoError(t, err)
	}
	_, _, err = bc.ReadFrom(buf) // the batch is read; the rest come from it
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(50, func() {
		if _, _, err := bc.ReadFrom(buf); err != nil {
			t.Error(err)
		}
	})
	if runtime.GOOS == "linux" { // recvmmsg; elsewhere the socket's ReadFrom allocates its address
		assert.Zero(t, allocs, "allocs per ReadFrom")
	}

	require.NoError(t, bc.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	for {
		_, _, err = bc.ReadFrom(buf)
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, bc.SetReadDeadline(time.Time{}))
	readErr := make(chan error, 1)
	go func() {
		_, _, err := bc.ReadFrom(buf)
		readErr <- err
	}()
	require.NoError(t, bc.Close())
	select {
	case err := <-readErr:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked ReadFrom")
	}
}

// TestBatchConnGatedReads: while gated, a datagram waits in the socket until the gate opens;
// turning the gate off lets the reader wait for datagrams again; Close ends a gated wait.
func TestBatchConnGatedReads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Log("gating is Linux's (recvmmsg); elsewhere reads are the socket's own")
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(c.(*net.UDPConn))
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer tx.Close()
	type result struct {
		b   []byte
		err error
	}
	reads := make(chan result, 1)
	read := func() {
		buf := make([]byte, 64)
		n, _, err := bc.ReadFromUDPAddrPort(buf)
		reads <- result{buf[:n], err}
	}
	expect := func(want []byte, what string) {
		t.Helper()
		select {
		case r := <-reads:
			require.NoError(t, r.err, what)
			require.Equal(t, want, r.b, what)
		case <-time.After(5 * time.Second):
			t.Fatal(what + ": no datagram")
		}
	}

	bc.gateReads(true)
	go read()
	_, err = tx.WriteTo([]byte{1}, bc.LocalAddr())
	require.NoError(t, err)
	if runtime.GOOS == "linux" {
		select {
		case r := <-reads:
			t.Fatalf("read %v before the gate opened", r)
		case <-time.After(50 * time.Millisecond):
		}
	}
	bc.openReads()
	expect([]byte{1}, "after the gate opened")

	// One opening takes everything that arrived, batch after batch.
	for i := range 3*readBatch + 5 {
		_, err = tx.WriteTo([]byte{10, byte(i)}, bc.LocalAddr())
		require.NoError(t, err)
	}
	bc.openReads()
	for i := range 3*readBatch + 5 {
		go read()
		expect([]byte{10, byte(i)}, "one opening")
	}

	go read()
	bc.gateReads(false)
	_, err = tx.WriteTo([]byte{2}, bc.LocalAddr())
	require.NoError(t, err)
	expect([]byte{2}, "ungated")

	bc.gateReads(true)
	go read()
	require.NoError(t, bc.Close())
	select {
	case r := <-reads:
		require.ErrorIs(t, r.err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a gated read")
	}
}

// TestBatchConnDrainReadsOnCaller: while gated, the loop drains the socket itself: every
// datagram that arrived, with its source, handed to the callback on the calling goroutine,
// batch after batch; the gated reader goroutine takes none of them (it stays asleep) and
// reads again once the gate is off.
func TestBatchConnDrainReadsOnCaller(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(c.(*net.UDPConn))
	defer bc.Close()
	if runtime.GOOS != "linux" {
		// No recvmmsg: the loop cannot drain, and the reader goroutine takes every datagram.
		require.False(t, bc.drainReads(func([]byte, netip.AddrPort) {}))
		return
	}
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer tx.Close()
	reads := make(chan []byte, 1)
	bc.gateReads(true)
	go func() {
		buf := make([]byte, 64)
		n, _, err := bc.ReadFromUDPAddrPort(buf)
		if err == nil {
			reads <- buf[:n]
		}
	}()

	const total = 2*readBatch + 7 // more than one recvmmsg
	for i := range total {
		_, err = tx.WriteTo([]byte{7, byte(i)}, bc.LocalAddr())
		require.NoError(t, err)
	}
	var got [][]byte
	fn := func(b []byte, from netip.AddrPort) {
		assert.Equal(t, tx.LocalAddr().(*net.UDPAddr).AddrPort(), from)
		got = append(got, append([]byte(nil), b...))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < total && time.Now().Before(deadline) {
		bc.drainReads(fn) // false at first if the reader has not reached the gate yet
		if len(got) < total {
			time.Sleep(time.Millisecond) // loopback delivery is asynchronous; poll, bounded
		}
	}
	require.Len(t, got, total)
	for i, b := range got {
		require.Equal(t, []byte{7, byte(i)}, b, "datagram %d in order", i)
	}
	select {
	case b := <-reads:
		t.Fatalf("the gated reader took %v", b)
	default:
	}
	require.True(t, bc.drainReads(fn), "an empty socket drains to nothing")
	require.Len(t, got, total)

	bc.gateReads(false)
	_, err = tx.WriteTo([]byte{9}, bc.LocalAddr())
	require.NoError(t, err)
	select {
	case b := <-reads:
		require.Equal(t, []byte{9}, b)
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not read once ungated")
	}
}
