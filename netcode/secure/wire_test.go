package secure

import (
	"errors"
	"io"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"
)

func TestKeyRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	require.NoError(t, err)
	require.NotEqual(t, Key{}, k)
	got, err := ParseKey(k.String())
	require.NoError(t, err)
	require.Equal(t, k, got)
	_, err = ParseKey("abc")
	require.Error(t, err)
	_, err = ParseKey(string(make([]byte, 64)))
	require.Error(t, err)
}

func TestSequenceBytes(t *testing.T) {
	for _, tc := range []struct {
		seq uint64
		n   int
	}{{0, 1}, {1, 1}, {0xff, 1}, {0x100, 2}, {1000, 2}, {0xffff, 2}, {0x10000, 3}, {1 << 56, 8}, {math.MaxUint64, 8}} {
		assert.Equal(t, tc.n, sequenceBytes(tc.seq), "seq %#x", tc.seq)
		c, err := newPacketCrypto(testKey(3), 9)
		require.NoError(t, err)
		pkt := c.appendPacket(nil, packetDisconnect, tc.seq, nil)
		h, err := parseHeader(pkt, 1<<packetDisconnect)
		require.NoError(t, err)
		assert.Equal(t, tc.seq, h.Sequence)
		assert.Equal(t, 1+tc.n, h.BodyStart)
		_, err = c.open(pkt, h)
		require.NoError(t, err)
	}
}

func TestParseHeaderRejects(t *testing.T) {
	c, err := newPacketCrypto(testKey(3), 9)
	require.NoError(t, err)
	good := c.appendPacket(nil, packetPayload, 5, []byte("hello"))
	all := uint8(0x7e)
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short":          good[:17],
		"type 7":         append([]byte{0x17}, good[1:]...),
		"type 15":        append([]byte{0x1f}, good[1:]...),
		"zero seq bytes": append([]byte{0x05}, good[1:]...),
		"9 seq bytes":    append([]byte{0x95}, good[1:]...),
		"empty payload":  c.appendPacket(nil, packetKeepAlive, 1, nil),
		"fat denied":     c.appendPacket(nil, packetDenied, 1, []byte{1}),
		"huge payload":   c.appendPacket(nil, packetPayload, 1, make([]byte, 1201)),
	} {
		_, err := parseHeader(b, all)
		assert.Error(t, err, name)
	}
	_, err = parseHeader(good, 1<<packetKeepAlive)
	assert.ErrorIs(t, err, errPacketType)
	_, err = parseHeader(good[:5], all)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// Any flipped bit fails authentication (prefix is in the AD, sequence in the nonce).
	for i := range good {
		b := append([]byte(nil), good...)
		b[i] ^= 0x01
		h, err := parseHeader(b, all)
		if err != nil {
			continue
		}
		_, err = c.open(b, h)
		assert.ErrorIs(t, err, errDecrypt, "byte %d", i)
	}
}

func TestReplayWindow(t *testing.T) {
	var w replayWindow
	w.reset()
	assert.False(t, w.alreadyReceived(0))
	w.advance(0)
	assert.True(t, w.alreadyReceived(0))
	for s := uint64(1); s < 300; s++ {
		require.False(t, w.alreadyReceived(s))
		w.advance(s)
	}
	assert.True(t, w.alreadyReceived(299))
	assert.True(t, w.alreadyReceived(43), "too old: 299-256")
	assert.True(t, w.alreadyReceived(44), "in window, received")
	// Out of order inside the window is accepted once.
	assert.False(t, w.alreadyReceived(310))
	w.advance(310)
	assert.False(t, w.alreadyReceived(305))
	w.advance(305)
	assert.True(t, w.alreadyReceived(305))

	// IMPLEMENTERS.md §1: near 2^64 the addition-side test overflowed and
	// rejected fresh packets. The subtraction-side test does not.
	w.reset()
	top := uint64(math.MaxUint64)
	for s := top - 300; s < top-10; s++ {
		w.advance(s)
	}
	for s := top - 9; s != 0; s++ {
		require.False(t, w.alreadyReceived(s), "fresh %#x", s)
		w.advance(s)
		require.True(t, w.alreadyReceived(s), "replayed %#x", s)
	}
	assert.True(t, w.alreadyReceived(top-300), "too old")
	assert.True(t, w.alreadyReceived(0), "far too old")
}

func TestGenerateConnectTokenDefaultsAndErrors(t *testing.T) {
	key := testKey(1)
	now := time.Unix(1_800_000_000, 0)
	addr := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7001")}
	b, err := GenerateConnectToken(key, TokenParams{ProtocolID: 1, ServerAddrs: addr, Now: now})
	require.NoError(t, err)
	tok, err := ParseConnectToken(b)
	require.NoError(t, err)
	assert.Equal(t, uint64(now.Unix()), tok.CreateTimestamp)
	assert.Equal(t, uint64(now.Unix()+30), tok.ExpireTimestamp)
	assert.Equal(t, int32(5), tok.TimeoutSeconds)
	assert.Equal(t, addr, tok.ServerAddrs)
	assert.Equal(t, b, tok.Append(nil))

	b2, err := GenerateConnectToken(key, TokenParams{ProtocolID: 1, ServerAddrs: addr, Now: now})
	require.NoError(t, err)
	tok2, err := ParseConnectToken(b2)
	require.NoError(t, err)
	assert.NotEqual(t, tok.Nonce, tok2.Nonce, "random nonce per token")
	assert.NotEqual(t, tok.ClientToServerKey, tok2.ClientToServerKey)

	b3, err := GenerateConnectToken(key, TokenParams{ServerAddrs: addr, TimeoutSeconds: -7})
	require.NoError(t, err)
	tok3, err := ParseConnectToken(b3)
	require.NoError(t, err)
	assert.Equal(t, int32(-1), tok3.TimeoutSeconds)

	_, err = GenerateConnectToken(key, TokenParams{})
	require.Error(t, err)
	_, err = GenerateConnectToken(key, TokenParams{ServerAddrs: make([]netip.AddrPort, 33)})
	require.Error(t, err)
	_, err = GenerateConnectToken(key, TokenParams{ServerAddrs: []netip.AddrPort{{}}})
	require.Error(t, err)
	_, err = GenerateConnectToken(key, TokenParams{ServerAddrs: addr, ExpireAfter: -time.Second})
	require.Error(t, err)
}

func TestParseConnectTokenRejects(t *testing.T) {
	good := goldenToken(t)
	mut := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	for name, b := range map[string][]byte{
		"short":         good[:2047],
		"long":          append(append([]byte(nil), good...), 0),
		"version":       mut(func(b []byte) { b[11] = '1' }),
		"zero addrs":    mut(func(b []byte) { b[1089] = 0 }),
		"33 addrs":      mut(func(b []byte) { b[1089] = 33 }),
		"addr type 0":   mut(func(b []byte) { b[1093] = 0 }),
		"addr type 3":   mut(func(b []byte) { b[1093] = 3 }),
		"create>expire": mut(func(b []byte) { b[28] = 0xff }),
	} {
		_, err := ParseConnectToken(b)
		assert.ErrorIs(t, err, ErrInvalidToken, name)
	}
}

func TestPrivateTokenRoundTripAndTamper(t *testing.T) {
	tokBytes := goldenToken(t)
	tok, err := ParseConnectToken(tokBytes)
	require.NoError(t, err)
	aead, err := chacha20poly1305.NewX(goldenPrivateKey[:])
	require.NoError(t, err)
	var ad [tokenADBytes]byte
	plain, err := openPrivateToken(aead, &ad, nil, tok.PrivateData[:], tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:])
	require.NoError(t, err)
	var p privateToken
	require.NoError(t, parsePrivateToken(plain, &p))
	assert.Equal(t, uint64(goldenClientID), p.ClientID)
	assert.Equal(t, goldenAddrs, p.Addrs[:p.NumAddrs])
	assert.Equal(t, tok.ClientToServerKey, p.ClientToServerKey)
	assert.Equal(t, testUserData(), p.UserData)

	for _, tc := range []struct {
		name          string
		protocol, exp uint64
		flip          int
		key           Key
	}{
		{"protocol", tok.ProtocolID + 1, tok.ExpireTimestamp, -1, goldenPrivateKey},
		{"expire", tok.ProtocolID, tok.ExpireTimestamp + 1, -1, goldenPrivateKey},
		{"ciphertext", tok.ProtocolID, tok.ExpireTimestamp, 100, goldenPrivateKey},
		{"tag", tok.ProtocolID, tok.ExpireTimestamp, 1020, goldenPrivateKey},
		{"key", tok.ProtocolID, tok.ExpireTimestamp, -1, testKey(9)},
	} {
		a, err := chacha20poly1305.NewX(tc.key[:])
		require.NoError(t, err)
		data := tok.PrivateData
		if tc.flip >= 0 {
			data[tc.flip] ^= 0x80
		}
		_, err = openPrivateToken(a, &ad, nil, data[:], tc.protocol, tc.exp, tok.Nonce[:])
		assert.ErrorIs(t, err, ErrInvalidToken, tc.name)
	}
}

func TestChallengeTokenRoundTrip(t *testing.T) {
	aead, err := chacha20poly1305.New(goldenChallengeKey[:])
	require.NoError(t, err)
	ch := goldenChallengeToken()
	var nonce [packetNonceBytes]byte
	var scratch [challengeTokenBytes]byte
	ct, err := openChallengeToken(aead, &nonce, &scratch, ch[:], goldenChallengeSeq)
	require.NoError(t, err)
	assert.Equal(t, uint64(goldenClientID), ct.ClientID)
	assert.Equal(t, testUserData(), ct.UserData)
	_, err = openChallengeToken(aead, &nonce, &scratch, ch[:], goldenChallengeSeq+1)
	assert.Error(t, err, "wrong sequence")
	_, err = openChallengeToken(aead, &nonce, &scratch, ch[:299], goldenChallengeSeq)
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF))
}

func TestPayloadSealOpenAllocs(t *testing.T) {
	send, err := newPacketCrypto(testKey(1), testProtocolID)
	require.NoError(t, err)
	recv, err := newPacketCrypto(testKey(1), testProtocolID)
	require.NoError(t, err)
	payload := make([]byte, 100)
	buf := make([]byte, 0, MaxPacketBytes)
	var w replayWindow
	seq := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		pkt := send.appendPacket(buf[:0], packetPayload, seq, payload)
		h, err := parseHeader(pkt, 1<<packetPayload)
		if err != nil || w.alreadyReceived(h.Sequence) {
			panic("bad packet")
		}
		if _, err := recv.open(pkt, h); err != nil {
			panic(err)
		}
		w.advance(h.Sequence)
		seq++
	})
	assert.Zero(t, allocs)
}

func TestOpenConnectToken(t *testing.T) {
	raw := goldenToken(t)
	tok, err := ParseConnectToken(raw)
	require.NoError(t, err)
	p, err := OpenConnectToken(goldenPrivateKey, tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:], tok.PrivateData[:])
	require.NoError(t, err)
	assert.Equal(t, uint64(goldenClientID), p.ClientID)
	assert.Equal(t, goldenAddrs, p.ServerAddrs)
	assert.Equal(t, tok.ServerToClientKey, p.ServerToClientKey)
	assert.Equal(t, testUserData(), p.UserData)
	_, err = OpenConnectToken(testKey(2), tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:], tok.PrivateData[:])
	assert.ErrorIs(t, err, ErrInvalidToken)
	_, err = OpenConnectToken(goldenPrivateKey, tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:3], tok.PrivateData[:])
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestRateLimiterBounds(t *testing.T) {
	r := newRateLimiter(3, 3000)
	now := time.Unix(100, 0)
	a := netip.MustParseAddrPort("10.0.0.1:1000")
	for range 3 {
		require.True(t, r.allow(now, a))
	}
	require.False(t, r.allow(now, a), "per source")
	hostPorts := 0
	for i := range 1000 {
		if r.allow(now, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(i))) {
			hostPorts++
		}
	}
	assert.Equal(t, r.perHost, hostPorts, "spraying ports from one host buys no more than perHost")
	allowed := 3 + hostPorts
	for i := range 20000 {
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1000)
		if r.allow(now, ap) {
			allowed++
		}
	}
	assert.Equal(t, 3000, allowed, "all sources together are capped")
	assert.LessOrEqual(t, len(r.hosts), maxRateSources, "bounded memory")
	require.True(t, r.allow(now.Add(rateLimitWindow), a), "next window")

	r = newRateLimiter(1, 1<<30)
	allowed = 0
	for i := range 10000 {
		if r.allow(now, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), 1000)) {
			allowed++
		}
	}
	assert.Equal(t, maxRateSources+overflowRateLimit, allowed, "untracked sources share one budget")
}
