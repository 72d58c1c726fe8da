package secure

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// packetType is the low nibble of the prefix byte.
type packetType uint8

// The seven netcode.io packet types.
const (
	packetRequest    packetType = 0 // unencrypted, 1078 bytes, client → server
	packetDenied     packetType = 1 // no data
	packetChallenge  packetType = 2 // challenge token sequence (uint64) + challenge token (300 bytes)
	packetResponse   packetType = 3 // same body as the challenge
	packetKeepAlive  packetType = 4 // client index (uint32) + max clients (uint32)
	packetPayload    packetType = 5 // 1..1200 opaque bytes
	packetDisconnect packetType = 6 // no data
	numPacketTypes              = 7
)

func (t packetType) String() string {
	switch t {
	case packetRequest:
		return "request"
	case packetDenied:
		return "denied"
	case packetChallenge:
		return "challenge"
	case packetResponse:
		return "response"
	case packetKeepAlive:
		return "keep-alive"
	case packetPayload:
		return "payload"
	case packetDisconnect:
		return "disconnect"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Packet sizes.
const (
	// RequestPacketBytes is the exact size of a connection request packet:
	// prefix 0 | version info (13) | protocol id (8) | expire timestamp (8) |
	// token nonce (24) | sealed private token (1024).
	RequestPacketBytes = 1 + versionInfoBytes + 8 + 8 + TokenNonceBytes + PrivateTokenBytes
	// MaxPacketBytes is the largest packet either side ever sends: a payload
	// packet of 1 + 8 + 1200 + 16 bytes.
	MaxPacketBytes = maxEncryptedPacketBytes

	minEncryptedPacketBytes = 1 + 1 + macBytes
	challengeBodyBytes      = 8 + challengeTokenBytes
	keepAliveBodyBytes      = 8
	packetADBytes           = versionInfoBytes + 8 + 1
	packetNonceBytes        = chacha20poly1305.NonceSize
	maxEncryptedPacketBytes = 1 + 8 + MaxPayloadBytes + macBytes
)

// Errors of the packet layer. The server and client count and drop on any of
// them; they never reach the application except through stats.
var (
	errPacketSize   = errors.New("secure: bad packet size")
	errPacketPrefix = errors.New("secure: bad packet prefix")
	errPacketType   = errors.New("secure: packet type not allowed here")
	errDecrypt      = errors.New("secure: packet failed to decrypt")
	errReplay       = errors.New("secure: packet already received")
)

// sequenceBytes is how many bytes the variable-length sequence takes: high
// zero bytes are omitted, with at least one byte.
func sequenceBytes(seq uint64) int {
	n := (bits.Len64(seq) + 7) / 8
	return max(n, 1)
}

// prefixByte is (sequence bytes << 4) | type.
func prefixByte(t packetType, seq uint64) byte {
	return byte(sequenceBytes(seq))<<4 | byte(t)
}

// bodySizeOK reports whether n plaintext bytes are valid for type t
// (equivalently, n+16 ciphertext bytes).
func bodySizeOK(t packetType, n int) bool {
	switch t {
	case packetDenied, packetDisconnect:
		return n == 0
	case packetChallenge, packetResponse:
		return n == challengeBodyBytes
	case packetKeepAlive:
		return n == keepAliveBodyBytes
	case packetPayload:
		return n >= 1 && n <= MaxPayloadBytes
	}
	return false
}

// header is the clear part of an encrypted packet.
type header struct {
	Type      packetType
	Prefix    byte
	Sequence  uint64
	BodyStart int // offset of the encrypted per-packet data
}

// parseHeader runs the standard's cheap checks on an encrypted packet (size,
// type, allowed types, sequence bytes, exact body size) without any crypto.
// allowed is a bit set of packet types (1<<type).
func parseHeader(b []byte, allowed uint8) (header, error) {
	if len(b) < minEncryptedPacketBytes {
		if len(b) == 0 {
			return header{}, fmt.Errorf("%w: empty: %w", errPacketSize, io.ErrUnexpectedEOF)
		}
		return header{}, fmt.Errorf("%w: %d bytes: %w", errPacketSize, len(b), io.ErrUnexpectedEOF)
	}
	if len(b) > maxEncryptedPacketBytes {
		return header{}, fmt.Errorf("%w: %d bytes", errPacketSize, len(b))
	}
	prefix := b[0]
	t := packetType(prefix & 0x0f)
	if t == packetRequest || t >= numPacketTypes {
		return header{}, fmt.Errorf("%w: type %d", errPacketPrefix, t)
	}
	if allowed&(1<<t) == 0 {
		return header{}, fmt.Errorf("%w: %v", errPacketType, t)
	}
	sb := int(prefix >> 4)
	if sb < 1 || sb > 8 {
		return header{}, fmt.Errorf("%w: %d sequence bytes", errPacketPrefix, sb)
	}
	if len(b) < 1+sb+macBytes {
		return header{}, fmt.Errorf("%w: %d bytes: %w", errPacketSize, len(b), io.ErrUnexpectedEOF)
	}
	var seq uint64
	for i := range sb {
		seq |= uint64(b[1+i]) << (8 * i)
	}
	h := header{Type: t, Prefix: prefix, Sequence: seq, BodyStart: 1 + sb}
	if !bodySizeOK(t, len(b)-h.BodyStart-macBytes) {
		return header{}, fmt.Errorf("%w: %v with %d data bytes", errPacketSize, t, len(b)-h.BodyStart-macBytes)
	}
	return h, nil
}

// packetCrypto seals or opens the packets of one direction of one connection
// (one key). It owns its nonce and associated-data scratch so that sealing
// and opening allocate nothing. Not safe for concurrent use.
type packetCrypto struct {
	aead  cipher.AEAD
	ad    [packetADBytes]byte
	nonce [packetNonceBytes]byte
}

func newPacketCrypto(key Key, protocolID uint64) (*packetCrypto, error) {
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		return nil, fmt.Errorf("secure: packet key: %w", err)
	}
	c := &packetCrypto{aead: aead}
	copy(c.ad[:], VersionInfo)
	binary.LittleEndian.PutUint64(c.ad[versionInfoBytes:], protocolID)
	return c, nil
}

// setNonce writes the standard's 96-bit nonce: 4 zero bytes then the
// sequence as a little-endian uint64.
func setNonce(n *[packetNonceBytes]byte, seq uint64) {
	n[0], n[1], n[2], n[3] = 0, 0, 0, 0
	binary.LittleEndian.PutUint64(n[4:], seq)
}

// beginPacket appends the prefix byte and variable-length sequence of an
// encrypted packet to b and returns b and the offset where the per-packet
// data starts. The caller appends the plaintext data, then calls seal.
func beginPacket(b []byte, t packetType, seq uint64) ([]byte, int) {
	b = append(b, prefixByte(t, seq))
	for s, n := seq, sequenceBytes(seq); n > 0; n-- {
		b = append(b, byte(s))
		s >>= 8
	}
	return b, len(b)
}

// seal encrypts b[bodyStart:] in place and appends the tag. b[start] must be
// the packet's prefix byte and seq its sequence.
func (c *packetCrypto) seal(b []byte, start, bodyStart int, seq uint64) []byte {
	b = slices.Grow(b, macBytes)
	c.ad[packetADBytes-1] = b[start]
	setNonce(&c.nonce, seq)
	body := b[bodyStart:]
	sealed := c.aead.Seal(body[:0], c.nonce[:], body, c.ad[:])
	return b[:bodyStart+len(sealed)]
}

// open authenticates and decrypts the packet b (already through parseHeader)
// in place and returns the plaintext per-packet data, which aliases b.
func (c *packetCrypto) open(b []byte, h header) ([]byte, error) {
	c.ad[packetADBytes-1] = h.Prefix
	setNonce(&c.nonce, h.Sequence)
	body := b[h.BodyStart:]
	out, err := c.aead.Open(body[:0], c.nonce[:], body, c.ad[:])
	if err != nil {
		return nil, errDecrypt
	}
	return out, nil
}

// appendSimplePacket appends a whole sealed packet with body as its data.
func (c *packetCrypto) appendPacket(b []byte, t packetType, seq uint64, body []byte) []byte {
	start := len(b)
	b, bodyStart := beginPacket(b, t, seq)
	b = append(b, body...)
	return c.seal(b, start, bodyStart, seq)
}

// appendKeepAlive appends a sealed keep-alive packet.
func (c *packetCrypto) appendKeepAlive(b []byte, seq uint64, clientIndex, maxClients uint32) []byte {
	start := len(b)
	b, bodyStart := beginPacket(b, packetKeepAlive, seq)
	b = binary.LittleEndian.AppendUint32(b, clientIndex)
	b = binary.LittleEndian.AppendUint32(b, maxClients)
	return c.seal(b, start, bodyStart, seq)
}

// appendChallengeLike appends a sealed challenge or response packet.
func (c *packetCrypto) appendChallengeLike(b []byte, t packetType, seq, tokenSeq uint64, token *[challengeTokenBytes]byte) []byte {
	start := len(b)
	b, bodyStart := beginPacket(b, t, seq)
	b = binary.LittleEndian.AppendUint64(b, tokenSeq)
	b = append(b, token[:]...)
	return c.seal(b, start, bodyStart, seq)
}

// requestPacket is a parsed connection request; slices alias the packet.
type requestPacket struct {
	ProtocolID      uint64
	ExpireTimestamp uint64
	Nonce           []byte // 24 bytes
	PrivateData     []byte // 1024 bytes, sealed
}

// appendRequestPacket appends a 1078-byte connection request built from a token.
func appendRequestPacket(b []byte, t *ConnectToken) []byte {
	b = append(b, byte(packetRequest))
	b = append(b, VersionInfo...)
	b = binary.LittleEndian.AppendUint64(b, t.ProtocolID)
	b = binary.LittleEndian.AppendUint64(b, t.ExpireTimestamp)
	b = append(b, t.Nonce[:]...)
	return append(b, t.PrivateData[:]...)
}

// parseRequestPacket checks size, prefix and version of a request packet.
// Protocol id and expiry are left to the caller, which knows its own.
func parseRequestPacket(b []byte) (requestPacket, error) {
	if len(b) != RequestPacketBytes {
		if len(b) < RequestPacketBytes {
			return requestPacket{}, fmt.Errorf("%w: request of %d bytes: %w", errPacketSize, len(b), io.ErrUnexpectedEOF)
		}
		return requestPacket{}, fmt.Errorf("%w: request of %d bytes", errPacketSize, len(b))
	}
	if b[0] != byte(packetRequest) {
		return requestPacket{}, fmt.Errorf("%w: prefix %#x", errPacketPrefix, b[0])
	}
	if string(b[1:1+versionInfoBytes]) != VersionInfo {
		return requestPacket{}, fmt.Errorf("%w: bad version info", errPacketPrefix)
	}
	p := 1 + versionInfoBytes
	return requestPacket{
		ProtocolID:      binary.LittleEndian.Uint64(b[p:]),
		ExpireTimestamp: binary.LittleEndian.Uint64(b[p+8:]),
		Nonce:           b[p+16 : p+16+TokenNonceBytes],
		PrivateData:     b[p+16+TokenNonceBytes:],
	}, nil
}

// challengeToken is the plaintext of a challenge token.
//
// Layout (300 bytes; the last 16 hold the tag once sealed):
//
//	[client id] (uint64)
//	[user data] (256 bytes)
//	<zero pad to 300 bytes>
//
// It is sealed with ChaCha20-Poly1305 (IETF), no associated data, under the
// server's random challenge key, with nonce [0 0 0 0] | challenge sequence (LE uint64).
type challengeToken struct {
	ClientID uint64
	UserData [UserDataBytes]byte
}

// sealChallengeToken writes the sealed token into out.
func sealChallengeToken(aead cipher.AEAD, nonce *[packetNonceBytes]byte, out *[challengeTokenBytes]byte, ct *challengeToken, seq uint64) {
	*out = [challengeTokenBytes]byte{}
	binary.LittleEndian.PutUint64(out[:], ct.ClientID)
	copy(out[8:], ct.UserData[:])
	setNonce(nonce, seq)
	plain := out[:challengeTokenBytes-macBytes]
	aead.Seal(plain[:0], nonce[:], plain, nil)
}

// openChallengeToken opens a sealed challenge token (copying it into scratch
// first, so the packet is left alone).
func openChallengeToken(aead cipher.AEAD, nonce *[packetNonceBytes]byte, scratch *[challengeTokenBytes]byte, sealed []byte, seq uint64) (challengeToken, error) {
	if len(sealed) != challengeTokenBytes {
		return challengeToken{}, fmt.Errorf("secure: challenge token: %d bytes: %w", len(sealed), io.ErrUnexpectedEOF)
	}
	copy(scratch[:], sealed)
	setNonce(nonce, seq)
	plain, err := aead.Open(scratch[:0], nonce[:], scratch[:], nil)
	if err != nil {
		return challengeToken{}, fmt.Errorf("secure: challenge token does not open: %w", err)
	}
	var ct challengeToken
	ct.ClientID = binary.LittleEndian.Uint64(plain)
	copy(ct.UserData[:], plain[8:])
	return ct, nil
}

// replayBufferSize is the replay window: 256 entries, as the standard suggests.
const replayBufferSize = 256

// replayWindow is netcode.io's replay protection, with the overflow fix from
// IMPLEMENTERS.md (the "too old" test is written subtraction-side, so
// sequences near 2^64 are not falsely rejected). A separate valid bit per
// entry replaces the reference's UINT64_MAX "empty" marker, so sequence
// 2^64-1 cannot be replayed either.
type replayWindow struct {
	mostRecent uint64
	received   [replayBufferSize]uint64
	valid      [replayBufferSize / 64]uint64
}

func (w *replayWindow) reset() { *w = replayWindow{} }

// alreadyReceived is the check before decryption.
func (w *replayWindow) alreadyReceived(seq uint64) bool {
	if w.mostRecent >= replayBufferSize && seq <= w.mostRecent-replayBufferSize {
		return true
	}
	i := seq % replayBufferSize
	if w.valid[i/64]&(1<<(i%64)) == 0 {
		return false
	}
	return w.received[i] >= seq
}

// advance records seq after the packet has decrypted.
func (w *replayWindow) advance(seq uint64) {
	if seq > w.mostRecent {
		w.mostRecent = seq
	}
	i := seq % replayBufferSize
	w.received[i] = seq
	w.valid[i/64] |= 1 << (i % 64)
}

// serverGlobalSequenceStart is where the server's connectionless sequence
// (denied and challenge packets) starts, as in the reference implementation.
const serverGlobalSequenceStart = uint64(1) << 63
