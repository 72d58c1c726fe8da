package secure

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"
)

// Fixed inputs of every golden file.
var (
	goldenPrivateKey   = testKey(0x01)
	goldenC2S          = testKey(0x10)
	goldenS2C          = testKey(0x20)
	goldenChallengeKey = testKey(0x40)
	goldenAddrs        = []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:7001"),
		netip.MustParseAddrPort("[::1]:7001"),
		netip.MustParseAddrPort("[2001:db8::1234:5678]:40000"),
	}
)

const (
	goldenClientID      = 0x0102030405060708
	goldenChallengeSeq  = 7
	goldenPayloadSeq    = 1000
	goldenDisconnectSeq = 0x0123456789
)

func goldenToken(t testing.TB) []byte {
	t.Helper()
	tok, err := generateConnectToken(goldenPrivateKey, TokenParams{
		ProtocolID:     testProtocolID,
		ClientID:       goldenClientID,
		ServerAddrs:    goldenAddrs,
		ExpireAfter:    30 * time.Second,
		TimeoutSeconds: 5,
		UserData:       testUserData(),
		Now:            goldenTime,
	}, &countingReader{})
	require.NoError(t, err)
	require.Len(t, tok, ConnectTokenBytes)
	return tok
}

func goldenChallengeToken() [challengeTokenBytes]byte {
	aead, err := chacha20poly1305.New(goldenChallengeKey[:])
	if err != nil {
		panic(err)
	}
	var out [challengeTokenBytes]byte
	var nonce [packetNonceBytes]byte
	sealChallengeToken(aead, &nonce, &out, &challengeToken{ClientID: goldenClientID, UserData: testUserData()}, goldenChallengeSeq)
	return out
}

func goldenPayload() []byte {
	p := make([]byte, 100)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}

// goldenPackets builds one packet of every type from fixed keys and sequences.
func goldenPackets(t testing.TB) map[string][]byte {
	t.Helper()
	tok, err := ParseConnectToken(goldenToken(t))
	require.NoError(t, err)
	c2s, err := newPacketCrypto(goldenC2S, testProtocolID)
	require.NoError(t, err)
	s2c, err := newPacketCrypto(goldenS2C, testProtocolID)
	require.NoError(t, err)
	ch := goldenChallengeToken()
	return map[string][]byte{
		"packet_request.hex":    appendRequestPacket(nil, tok),
		"packet_denied.hex":     s2c.appendPacket(nil, packetDenied, serverGlobalSequenceStart, nil),
		"packet_challenge.hex":  s2c.appendChallengeLike(nil, packetChallenge, serverGlobalSequenceStart+1, goldenChallengeSeq, &ch),
		"packet_response.hex":   c2s.appendChallengeLike(nil, packetResponse, 1, goldenChallengeSeq, &ch),
		"packet_keepalive.hex":  s2c.appendKeepAlive(nil, 0, 3, 64),
		"packet_payload.hex":    c2s.appendPacket(nil, packetPayload, goldenPayloadSeq, goldenPayload()),
		"packet_disconnect.hex": c2s.appendPacket(nil, packetDisconnect, goldenDisconnectSeq, nil),
	}
}

func TestGoldenConnectToken(t *testing.T) {
	tok := goldenToken(t)
	checkGolden(t, "connect_token.hex", tok)

	priv := privateToken{
		ClientID:       goldenClientID,
		TimeoutSeconds: 5,
		UserData:       testUserData(),
	}
	priv.NumAddrs = copy(priv.Addrs[:], goldenAddrs)
	// countingReader hands out c2s key, s2c key, then the nonce.
	for i := range KeyBytes {
		priv.ClientToServerKey[i] = byte(i)
		priv.ServerToClientKey[i] = byte(KeyBytes + i)
	}
	plain := priv.appendPlain(nil)
	require.Len(t, plain, PrivateTokenBytes)
	checkGolden(t, "private_token_plain.hex", plain)
	checkGolden(t, "private_token_sealed.hex", tok[61:61+PrivateTokenBytes])
}

func TestGoldenChallengeToken(t *testing.T) {
	ch := goldenChallengeToken()
	checkGolden(t, "challenge_token.hex", ch[:])
}

func TestGoldenPackets(t *testing.T) {
	for name, pkt := range goldenPackets(t) {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, pkt) })
	}
}

// TestStandardOpensGoToken opens a Go-generated token with the standard's
// algorithm written out here by hand: fixed offsets, hand-built associated
// data and nonce, raw XChaCha20-Poly1305. It shares no code with the encoder.
func TestStandardOpensGoToken(t *testing.T) {
	tok := goldenToken(t)
	le := binary.LittleEndian

	// Public part, offsets from STANDARD.md.
	require.Equal(t, "NETCODE 1.02\x00", string(tok[0:13]))
	require.Equal(t, uint64(0x534b49524d495348), le.Uint64(tok[13:21]))
	require.Equal(t, uint64(1_700_000_000), le.Uint64(tok[21:29]), "create timestamp")
	require.Equal(t, uint64(1_700_000_030), le.Uint64(tok[29:37]), "expire timestamp")
	nonce := tok[37:61]
	sealed := tok[61:1085]
	p := 1085
	require.Equal(t, uint32(5), le.Uint32(tok[p:]), "timeout seconds")
	require.Equal(t, uint32(3), le.Uint32(tok[p+4:]), "num server addresses")
	p += 8
	require.Equal(t, []byte{1, 127, 0, 0, 1, 0x59, 0x1b}, tok[p:p+7], "IPv4 127.0.0.1:7001")
	p += 7
	require.Equal(t, byte(2), tok[p], "IPv6 type")
	require.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x59, 0x1b}, tok[p+1:p+19], "::1 groups as LE uint16s")
	p += 19
	require.Equal(t, []byte{2, 0x01, 0x20, 0xb8, 0x0d}, tok[p:p+5], "2001:db8 groups")
	p += 19
	c2s, s2c := tok[p:p+32], tok[p+32:p+64]
	p += 64
	for _, b := range tok[p:] {
		require.Zero(t, b, "zero padding")
	}

	// Private part: AD = version | protocol id | expire, nonce = token nonce.
	ad := []byte("NETCODE 1.02\x00")
	ad = append(ad, 0x48, 0x53, 0x49, 0x4d, 0x52, 0x49, 0x4b, 0x53) // protocol id LE
	ad = append(ad, tok[29:37]...)                                  // expire LE, as sent
	require.Len(t, ad, 29)
	aead, err := chacha20poly1305.NewX(goldenPrivateKey[:])
	require.NoError(t, err)
	plain, err := aead.Open(nil, nonce, sealed, ad)
	require.NoError(t, err)
	require.Len(t, plain, 1008)

	require.Equal(t, uint64(goldenClientID), le.Uint64(plain[0:8]))
	require.Equal(t, uint32(5), le.Uint32(plain[8:12]))
	require.Equal(t, uint32(3), le.Uint32(plain[12:16]))
	q := 16 + 7 + 19 + 19
	assert.Equal(t, tok[1093:1093+45], plain[16:q], "private address list equals the public one")
	assert.Equal(t, c2s, plain[q:q+32])
	assert.Equal(t, s2c, plain[q+32:q+64])
	ud := testUserData()
	assert.Equal(t, ud[:], plain[q+64:q+64+256])
	for _, b := range plain[q+64+256:] {
		require.Zero(t, b)
	}

	// A changed expire timestamp in the AD must not open.
	ad[21]++
	_, err = aead.Open(nil, nonce, sealed, ad)
	require.Error(t, err)
}

// TestStandardOpensGoPackets decrypts every golden packet with the
// standard's nonce ([0 0 0 0] | sequence LE) and associated data
// (version | protocol id | prefix byte), built here by hand.
func TestStandardOpensGoPackets(t *testing.T) {
	pk := goldenPackets(t)
	open := func(key Key, pkt []byte, seq uint64, seqBytes int) []byte {
		t.Helper()
		require.Equal(t, byte(seqBytes), pkt[0]>>4, "sequence byte count in prefix")
		var got uint64
		for i := range seqBytes {
			got |= uint64(pkt[1+i]) << (8 * i)
		}
		require.Equal(t, seq, got, "sequence bytes, least significant first")
		nonce := make([]byte, 12)
		le := binary.LittleEndian
		le.PutUint64(nonce[4:], seq)
		ad := append([]byte("NETCODE 1.02\x00"), 0x48, 0x53, 0x49, 0x4d, 0x52, 0x49, 0x4b, 0x53, pkt[0])
		aead, err := chacha20poly1305.New(key[:])
		require.NoError(t, err)
		plain, err := aead.Open(nil, nonce, pkt[1+seqBytes:], ad)
		require.NoError(t, err)
		return plain
	}
	assert.Equal(t, byte(0x81), pk["packet_denied.hex"][0])
	assert.Empty(t, open(goldenS2C, pk["packet_denied.hex"], 1<<63, 8))

	ch := open(goldenS2C, pk["packet_challenge.hex"], 1<<63+1, 8)
	require.Len(t, ch, 308)
	assert.Equal(t, uint64(goldenChallengeSeq), binary.LittleEndian.Uint64(ch))
	resp := open(goldenC2S, pk["packet_response.hex"], 1, 1)
	assert.Equal(t, ch, resp, "response echoes the challenge body")
	assert.Equal(t, byte(0x13), pk["packet_response.hex"][0])

	ka := open(goldenS2C, pk["packet_keepalive.hex"], 0, 1)
	assert.Equal(t, []byte{3, 0, 0, 0, 64, 0, 0, 0}, ka)

	pl := pk["packet_payload.hex"]
	assert.Equal(t, []byte{0x25, 0xe8, 0x03}, pl[:3], "seq 1000 → prefix 0x25, bytes e8 03")
	assert.Equal(t, goldenPayload(), open(goldenC2S, pl, goldenPayloadSeq, 2))
	assert.Empty(t, open(goldenC2S, pk["packet_disconnect.hex"], goldenDisconnectSeq, 5))

	req := pk["packet_request.hex"]
	tok := goldenToken(t)
	require.Len(t, req, 1078)
	assert.Equal(t, byte(0), req[0])
	assert.Equal(t, tok[0:21], req[1:22], "version + protocol id")
	assert.Equal(t, tok[29:37], req[22:30], "expire timestamp")
	assert.Equal(t, tok[37:61+1024], req[30:], "nonce + sealed private token")

	// Challenge token: ChaCha20-Poly1305 IETF, no AD, nonce [0 0 0 0] | seq.
	aead, err := chacha20poly1305.New(goldenChallengeKey[:])
	require.NoError(t, err)
	nonce := []byte{0, 0, 0, 0, goldenChallengeSeq, 0, 0, 0, 0, 0, 0, 0}
	plain, err := aead.Open(nil, nonce, ch[8:], nil)
	require.NoError(t, err)
	require.Len(t, plain, 284)
	assert.Equal(t, uint64(goldenClientID), binary.LittleEndian.Uint64(plain))
	ud := testUserData()
	assert.Equal(t, ud[:], plain[8:264])
	assert.Equal(t, make([]byte, 20), plain[264:])
}
