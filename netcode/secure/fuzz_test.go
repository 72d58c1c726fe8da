package secure

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

func FuzzParseConnectToken(f *testing.F) {
	f.Add(goldenToken(f))
	f.Add(readRefToken(f, refNeverExpires))
	f.Add(readRefToken(f, refTwoAddresses))
	f.Add([]byte{})
	f.Add(make([]byte, ConnectTokenBytes))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseConnectToken(b)
		if err != nil {
			return
		}
		// Re-encode and re-parse: the fields survive.
		again, err := ParseConnectToken(tok.Append(nil))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if again.ProtocolID != tok.ProtocolID || again.CreateTimestamp != tok.CreateTimestamp ||
			again.ExpireTimestamp != tok.ExpireTimestamp || again.Nonce != tok.Nonce ||
			again.PrivateData != tok.PrivateData || again.TimeoutSeconds != tok.TimeoutSeconds ||
			len(again.ServerAddrs) != len(tok.ServerAddrs) ||
			again.ClientToServerKey != tok.ClientToServerKey || again.ServerToClientKey != tok.ServerToClientKey {
			t.Fatal("round trip changed the token")
		}
	})
}

func FuzzParsePrivateToken(f *testing.F) {
	var p privateToken
	p.ClientID = 1
	p.TimeoutSeconds = 5
	p.NumAddrs = copy(p.Addrs[:], goldenAddrs)
	f.Add(p.appendPlain(nil))
	f.Add([]byte{1, 2, 3})
	for _, name := range []string{refNeverExpires, refTwoAddresses} {
		f.Add(refPrivatePlain(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got privateToken
		if err := parsePrivateToken(b, &got); err != nil {
			return
		}
		var again privateToken
		if err := parsePrivateToken(got.appendPlain(nil), &again); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if again.ClientID != got.ClientID || again.NumAddrs != got.NumAddrs || again.UserData != got.UserData {
			t.Fatal("round trip changed the token")
		}
	})
}

// refPrivatePlain opens the private part of a reference token with the
// reference key and returns the 1008 plaintext bytes.
func refPrivatePlain(f *testing.F, name string) []byte {
	tok, err := ParseConnectToken(readRefToken(f, name))
	if err != nil {
		f.Fatal(err)
	}
	key := refKey()
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		f.Fatal(err)
	}
	var ad [tokenADBytes]byte
	plain, err := openPrivateToken(aead, &ad, nil, tok.PrivateData[:], tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:])
	if err != nil {
		f.Fatal(err)
	}
	return plain
}

func FuzzOpenPrivateToken(f *testing.F) {
	tok := goldenToken(f)
	f.Add(tok[61:61+PrivateTokenBytes], tok[37:61], uint64(1_700_000_030))
	aead, err := chacha20poly1305.NewX(goldenPrivateKey[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sealed, nonce []byte, expire uint64) {
		var ad [tokenADBytes]byte
		var dst [PrivateTokenBytes]byte
		plain, err := openPrivateToken(aead, &ad, dst[:0], sealed, testProtocolID, expire, nonce)
		if err != nil {
			return
		}
		var p privateToken
		_ = parsePrivateToken(plain, &p)
	})
}

func FuzzOpenChallengeToken(f *testing.F) {
	ch := goldenChallengeToken()
	f.Add(ch[:], uint64(goldenChallengeSeq))
	f.Add([]byte{}, uint64(0))
	aead, err := chacha20poly1305.New(goldenChallengeKey[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, seq uint64) {
		var nonce [packetNonceBytes]byte
		var scratch [challengeTokenBytes]byte
		ct, err := openChallengeToken(aead, &nonce, &scratch, b, seq)
		if err != nil {
			return
		}
		var out [challengeTokenBytes]byte
		sealChallengeToken(aead, &nonce, &out, &ct, seq)
		if !bytes.Equal(out[:], b) {
			t.Fatal("re-seal differs")
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, p := range goldenPackets(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b, 0x7e)
		if err != nil {
			return
		}
		re, bodyStart := beginPacket(nil, h.Type, h.Sequence)
		h2, err := parseHeader(append(re, b[h.BodyStart:]...), 0x7e)
		if err != nil || h2.Type != h.Type || h2.Sequence != h.Sequence || bodyStart != h2.BodyStart {
			t.Fatalf("re-encoded header differs: %+v vs %+v (%v)", h, h2, err)
		}
	})
}

// FuzzServerPacket feeds arbitrary datagrams to the server's whole receive
// path (prefilter and processing), from two source addresses.
func FuzzServerPacket(f *testing.F) {
	for _, p := range goldenPackets(f) {
		f.Add(p, false)
	}
	f.Add([]byte{0}, true)
	conn := newDiscardConn("127.0.0.1:7001")
	srv, err := newServer(conn, ServerConfig{
		ProtocolID: testProtocolID,
		PrivateKey: goldenPrivateKey,
		Now:        func() time.Time { return goldenTime },
		MaxClients: 4,
	}, &countingReader{})
	if err != nil {
		f.Fatal(err)
	}
	from := [2]netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:5000"), netip.MustParseAddrPort("[::1]:5000")}
	f.Fuzz(func(t *testing.T, b []byte, second bool) {
		src := from[0]
		if second {
			src = from[1]
		}
		if len(b) > readBufBytes {
			return // the read buffer bounds what the server can see
		}
		buf := append([]byte(nil), b...)
		if !srv.prefilter(buf) {
			return
		}
		srv.mu.Lock()
		srv.process(goldenTime, buf, src)
		srv.events = srv.events[:0]
		srv.mu.Unlock()
	})
}

// FuzzClientPacket feeds arbitrary datagrams to a client mid-handshake.
func FuzzClientPacket(f *testing.F) {
	for _, p := range goldenPackets(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := newFuzzClient(t)
		c.handle(append([]byte(nil), b...), c.serverAddr)
		c.mu.Lock()
		c.state = StateSendingResponse
		c.mu.Unlock()
		c.handle(append([]byte(nil), b...), c.serverAddr)
		c.mu.Lock()
		if c.state == StateConnected {
			c.handle(append([]byte(nil), b...), c.serverAddr)
		}
		c.mu.Unlock()
	})
}

// newFuzzClient builds a Client for the golden token without goroutines.
func newFuzzClient(t *testing.T) *Client {
	tok, err := ParseConnectToken(goldenToken(t))
	if err != nil {
		t.Fatal(err)
	}
	// The golden packets use goldenS2C for server → client.
	tok.ServerToClientKey = goldenS2C
	tok.ClientToServerKey = goldenC2S
	send, _ := newPacketCrypto(tok.ClientToServerKey, tok.ProtocolID)
	recv, _ := newPacketCrypto(tok.ServerToClientKey, tok.ProtocolID)
	c := &Client{
		conn:     newDiscardConn("127.0.0.1:5000"),
		token:    tok,
		send:     send,
		recv:     recv,
		now:      func() time.Time { return goldenTime },
		done:     make(chan struct{}),
		conned:   make(chan struct{}),
		payloads: make(chan []byte, 4),
		sendBuf:  make([]byte, 0, MaxPacketBytes),
		log:      discardLogger,
	}
	c.mu.Lock()
	c.startServer(0, goldenTime)
	c.mu.Unlock()
	return c
}

func FuzzParseRequestPacket(f *testing.F) {
	f.Add(goldenPackets(f)["packet_request.hex"])
	f.Add([]byte{0})
	for _, name := range []string{refNeverExpires, refTwoAddresses} {
		tok, err := ParseConnectToken(readRefToken(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(appendRequestPacket(nil, tok))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rp, err := parseRequestPacket(b)
		if err != nil {
			return
		}
		tok := &ConnectToken{ProtocolID: rp.ProtocolID, ExpireTimestamp: rp.ExpireTimestamp}
		copy(tok.Nonce[:], rp.Nonce)
		copy(tok.PrivateData[:], rp.PrivateData)
		if !bytes.Equal(appendRequestPacket(nil, tok), b) {
			t.Fatal("re-encoded request differs")
		}
	})
}
