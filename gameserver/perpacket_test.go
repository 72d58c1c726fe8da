package gameserver

import (
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// The per-packet path, measured piece by piece on the real code and a real loopback socket:
//
//	receive   batchConn.ReadFrom: recvmmsg batches into fixed buffers (BenchmarkBatchConnRead)
//	decrypt   secure.Server's open and replay check (netcode/secure BenchmarkServerPayload)
//	dispatch  Server.onPayload → the match's inbox → Endpoint.Receive → Input parse → input
//	          buffer (BenchmarkDispatch)
//	send      a snapshot for every client: encode, Endpoint packet, the transport, batchConn's
//	          queue and one sendmmsg per pass (BenchmarkSnapshotSend; the seal is secure's)
//
// TestPerPacketPathAllocatesNothing (perpacket_alloc_test.go) holds dispatch and send to zero
// allocations; TestBatchConnReadsBatches holds receive to zero.

// udpTransport is a transport without crypto: Send queues the payload on a batchConn for the
// client's address (all clients share one receiving socket that never reads: the kernel drops
// what overflows it, after the sending work was done).
// While capture is set (setup only), Send also keeps a copy for the client's Endpoint.
type udpTransport struct {
	bc       *batchConn
	addr     net.Addr
	capture  bool
	captured map[int][][]byte
}

func (*udpTransport) Serve() error { return nil }
func (t *udpTransport) Send(index int, p []byte) error {
	if t.capture {
		t.captured[index] = append(t.captured[index], slices.Clone(p))
	}
	_, err := t.bc.WriteTo(p, t.addr)
	return err
}
func (*udpTransport) Disconnect(int)  {}
func (t *udpTransport) Close() error  { return t.bc.Close() }
func (t *udpTransport) holdSends()    { t.bc.hold() }
func (t *udpTransport) releaseSends() { t.bc.release() }

type packetBench struct {
	s       *Server
	m       *match
	tr      *udpTransport
	clients []*netcode.Endpoint
	now     time.Time
	seq     uint16
	pkt     []byte
	msg     []byte
}

func newPacketBench(tb testing.TB, players int) *packetBench {
	rx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(tb, err)
	tb.Cleanup(func() { rx.Close() })
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(tb, err)
	pb := &packetBench{now: time.Unix(1_700_000_000, 0)}
	pb.tr = &udpTransport{bc: newBatchConn(tx.(*net.UDPConn)), addr: rx.LocalAddr(), capture: true, captured: map[int][][]byte{}}
	tb.Cleanup(func() { pb.tr.Close() })
	pb.s, err = newServer(nil, Config{Game: newTestGame, Key: testKey, Logger: quietLogger(), Now: func() time.Time { return pb.now }},
		func(net.PacketConn, *Config, handlers) (transport, error) { return pb.tr, nil })
	require.NoError(tb, err)
	tk := wire.Ticket{MatchID: [16]byte{0xbe}, Players: uint8(players), Mode: "endless"}
	g, err := newTestGame(tk.Mode, players, 1)
	require.NoError(tb, err)
	pb.m = newMatch(pb.s, tk, g)
	pb.m.base = pb.now
	for i := range players {
		tk.Slot, tk.Name, tk.PlayerID = uint8(i), "p", uint64(i)
		pb.m.connect(pb.now, ctlEvent{connect: true, index: i, connID: uint64(i + 1), ticket: tk})
		pb.s.clients[i] = clientRef{m: pb.m, connID: uint64(i + 1)}
		pb.clients = append(pb.clients, netcode.NewEndpoint(netcode.EndpointConfig{}))
	}
	// The clients take their Welcome and Rosters and acknowledge them, so what follows is the
	// steady state: snapshots, no reliable resends.
	for range 3 {
		pb.m.flushAll(pb.now)
		for i, ep := range pb.clients {
			for _, p := range pb.tr.captured[i] {
				require.NoError(tb, ep.Receive(pb.now, p))
			}
			pb.tr.captured[i] = nil
			for {
				if _, ok := ep.NextReliable(); !ok {
					break
				}
			}
			sc := pb.m.seats[i].conn
			require.NoError(tb, ep.Flush(pb.now, func(p []byte) error { return sc.ep.Receive(pb.now, p) }))
		}
		pb.now = pb.now.Add(100 * time.Millisecond)
	}
	pb.tr.capture = false
	return pb
}

// nextInput makes client 0's next packet: an Input message (its ack and one 3-byte input).
func (pb *packetBench) nextInput(tb testing.TB) {
	pb.seq++
	in := wire.Input{AckTick: pb.m.tick, FirstSeq: pb.seq, Inputs: [][]byte{{1, byte(pb.seq), 3}}}
	var err error
	pb.msg, err = in.Append(pb.msg[:0])
	require.NoError(tb, err)
	ep := pb.clients[0]
	require.NoError(tb, ep.SendUnreliable(pb.msg))
	require.NoError(tb, ep.Flush(pb.now, func(p []byte) error {
		pb.pkt = append(pb.pkt[:0], p...)
		return nil
	}))
}

// dispatch hands the packet to the server as the connection layer does and lets the match
// handle it as its loop does.
func (pb *packetBench) dispatch() {
	pb.s.onPayload(peer{index: 0}, pb.pkt)
	pb.m.handleInbox()
}

// snapshot sends one snapshot to every client, each acknowledging the previous one, in one
// held batch.
func (pb *packetBench) snapshot() {
	m := pb.m
	for i := range m.seats {
		if c := m.seats[i].conn; c != nil {
			c.ackTick = m.tick
		}
	}
	m.tick += 2
	pb.tr.holdSends()
	m.sendSnapshots()
	m.flushAll(pb.now)
	pb.tr.releaseSends()
	m.publishCounters()
	pb.now = pb.now.Add(m.tickDur)
}

func BenchmarkDispatch(b *testing.B) {
	pb := newPacketBench(b, 16)
	for range 50 {
		pb.nextInput(b)
		pb.dispatch()
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		pb.nextInput(b)
		b.StartTimer()
		pb.dispatch()
	}
}

func BenchmarkSnapshotSend(b *testing.B) {
	for _, players := range []int{16, 64} {
		b.Run(fmt.Sprintf("players=%d", players), func(b *testing.B) {
			pb := newPacketBench(b, players)
			for range 1100 { // every slot of the Endpoints' packet rings used once
				pb.snapshot()
			}
			b.ReportAllocs()
			for b.Loop() {
				pb.snapshot()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(players), "ns/client")
		})
	}
}

func BenchmarkBatchConnRead(b *testing.B) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(b, err)
	bc := newBatchConn(c.(*net.UDPConn))
	defer bc.Close()
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(b, err)
	defer tx.Close()
	p := make([]byte, 60)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range readBatch {
			if _, err := tx.WriteTo(p, bc.LocalAddr()); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for range readBatch {
			if _, _, err := bc.ReadFrom(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/readBatch, "ns/datagram")
}
