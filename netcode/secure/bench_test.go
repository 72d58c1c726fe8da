package secure

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkPayloadSealOpen encrypts and decrypts one 100-byte payload
// packet: the per-packet cost on each side of a connection.
func BenchmarkPayloadSealOpen(b *testing.B) {
	send, err := newPacketCrypto(testKey(1), testProtocolID)
	if err != nil {
		b.Fatal(err)
	}
	recv, err := newPacketCrypto(testKey(1), testProtocolID)
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 100)
	buf := make([]byte, 0, MaxPacketBytes)
	var w replayWindow
	var seq uint64
	b.ReportAllocs()
	b.SetBytes(100)
	for b.Loop() {
		pkt := send.appendPacket(buf[:0], packetPayload, seq, payload)
		h, err := parseHeader(pkt, 1<<packetPayload)
		if err != nil || w.alreadyReceived(h.Sequence) {
			b.Fatal("bad packet")
		}
		if _, err := recv.open(pkt, h); err != nil {
			b.Fatal(err)
		}
		w.advance(h.Sequence)
		seq++
	}
}

// BenchmarkServerPayload measures a connected client's payload through the
// server's receive path (lookup, replay check, decrypt, callback).
func BenchmarkServerPayload(b *testing.B) {
	srv, c := benchConnected(b)
	payload := make([]byte, 100)
	buf := make([]byte, 0, MaxPacketBytes)
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	now := goldenTime
	b.ReportAllocs()
	for b.Loop() {
		pkt := c.send.appendPacket(buf[:0], packetPayload, c.seq, payload)
		c.seq++
		srv.mu.Lock()
		srv.process(now, pkt, from)
		srv.events = srv.events[:0]
		srv.mu.Unlock()
	}
	if srv.Stats().PayloadsReceived == 0 {
		b.Fatal("no payloads")
	}
}

// BenchmarkHandshake runs whole handshakes in memory: the lobby generates a
// token, the client sends the request, the server opens the token and
// answers with a challenge, the client answers, the server connects it and
// sends the first keep-alive, the client reads it. The slot is freed after.
func BenchmarkHandshake(b *testing.B) {
	conn := newCaptureConn("127.0.0.1:7001")
	key := testKey(3)
	now := time.Now()
	srv, err := NewServer(conn, ServerConfig{ProtocolID: testProtocolID, PrivateKey: key, MaxClients: 1,
		Now: func() time.Time { return now }, HandshakeRateLimit: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	addrs := []netip.AddrPort{srv.Addr()}
	port := uint16(1024)
	b.ReportAllocs()
	for b.Loop() {
		port++
		now = now.Add(rateLimitWindow) // a fresh rate-limit window: measure crypto, not the limiter
		from := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
		tokBytes, err := GenerateConnectToken(key, TokenParams{ProtocolID: testProtocolID, ClientID: uint64(port), ServerAddrs: addrs, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		tok, _ := ParseConnectToken(tokBytes)
		send, _ := newPacketCrypto(tok.ClientToServerKey, testProtocolID)
		recv, _ := newPacketCrypto(tok.ServerToClientKey, testProtocolID)

		srv.mu.Lock()
		srv.process(now, appendRequestPacket(nil, tok), from)
		srv.mu.Unlock()
		ch := conn.take()
		if len(ch) != 1 {
			b.Fatalf("want a challenge, got %d packets: %+v", len(ch), srv.Stats())
		}
		h, _ := parseHeader(ch[0], 1<<packetChallenge)
		body, err := recv.open(ch[0], h)
		if err != nil {
			b.Fatal(err)
		}
		var token [challengeTokenBytes]byte
		copy(token[:], body[8:])
		srv.mu.Lock()
		srv.process(now, send.appendChallengeLike(nil, packetResponse, 0, binary.LittleEndian.Uint64(body), &token), from)
		srv.mu.Unlock()
		ka := conn.take()
		if len(ka) != 1 {
			b.Fatalf("want a keep-alive, got %d packets", len(ka))
		}
		h, _ = parseHeader(ka[0], 1<<packetKeepAlive)
		if _, err := recv.open(ka[0], h); err != nil {
			b.Fatal(err)
		}
		srv.mu.Lock()
		srv.disconnectSlot(0, ErrKicked, false, now)
		srv.events = srv.events[:0]
		srv.mu.Unlock()
	}
}

type benchClient struct {
	send *packetCrypto
	seq  uint64
}

// benchConnected returns a server with one connected client at 127.0.0.1:5000.
func benchConnected(b *testing.B) (*Server, *benchClient) {
	conn := newDiscardConn("127.0.0.1:7001")
	srv, err := NewServer(conn, ServerConfig{ProtocolID: testProtocolID, PrivateKey: testKey(3), Now: func() time.Time { return goldenTime }})
	if err != nil {
		b.Fatal(err)
	}
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	send, _ := newPacketCrypto(testKey(8), testProtocolID)
	recv, _ := newPacketCrypto(testKey(9), testProtocolID)
	srv.mu.Lock()
	srv.slots[0] = slot{connected: true, info: ClientInfo{Index: 0, ID: 1, Addr: from}, send: recv, recv: send, lastRecv: goldenTime}
	srv.byAddr[from] = 0
	srv.byID[1] = 0
	srv.numConnected = 1
	srv.mu.Unlock()
	return srv, &benchClient{send: send}
}
