package kcp

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// ProtocolVersion is the version of the framing and handshake below. It is
// carried in the hello and bumped on every wire-incompatible change.
const ProtocolVersion = 1

// MaxMessageBytes is the largest message [Session.Send] accepts and
// [Session.Receive] returns.
const MaxMessageBytes = 64 << 10

// FrameType says what a frame on the KCP stream carries.
type FrameType uint8

// Frame types. Every frame is a 5-byte header (type, body length) and a body;
// see the package documentation for the layouts.
const (
	FrameHello     = FrameType(0x01) // client → server, first frame: version, salt, token fields
	FrameWelcome   = FrameType(0x02) // server → client: 16B server salt + sealed (client id, timeout)
	FrameDenied    = FrameType(0x03) // server → client: 1B DenyReason, cleartext, then the server drops the session
	FrameMessage   = FrameType(0x04) // either way: sealed game message
	FrameKeepAlive = FrameType(0x05) // either way: sealed empty body, sent when idle
	FrameClose     = FrameType(0x06) // either way: sealed empty body, "I am closing"; answered by a FrameClose
)

func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWelcome:
		return "welcome"
	case FrameDenied:
		return "denied"
	case FrameMessage:
		return "message"
	case FrameKeepAlive:
		return "keep-alive"
	case FrameClose:
		return "close"
	}
	return fmt.Sprintf("FrameType(%#02x)", uint8(t))
}

const (
	frameHeaderBytes = 5
	tagBytes         = chacha20poly1305.Overhead
	saltBytes        = 16
	// maxFrameBody is the largest body any frame may declare: a sealed
	// message of MaxMessageBytes.
	maxFrameBody = MaxMessageBytes + tagBytes
	// helloBytes is the fixed size of a hello body.
	helloBytes = 1 + saltBytes + 8 + 8 + secure.TokenNonceBytes + secure.PrivateTokenBytes
	// welcomePlainBytes is the plaintext of a welcome: client id, timeout.
	welcomePlainBytes = 8 + 4
	welcomeBytes      = saltBytes + welcomePlainBytes + tagBytes
)

// frameHeader precedes every frame body on the stream:
//
//	[type] (uint8)
//	[body length] (uint32, little-endian)  ≤ MaxMessageBytes+16
//
// For sealed frames the 5 header bytes are the AEAD's associated data.
type frameHeader struct {
	Type FrameType
	Len  uint32
}

func (h frameHeader) Append(b []byte) []byte {
	b = append(b, byte(h.Type))
	return binary.LittleEndian.AppendUint32(b, h.Len)
}

// parseFrameHeader reads a frame header and checks the body length against
// the limit for its type, before anybody allocates the body.
func parseFrameHeader(b []byte) (frameHeader, int, error) {
	if len(b) < frameHeaderBytes {
		return frameHeader{}, 0, io.ErrUnexpectedEOF
	}
	h := frameHeader{Type: FrameType(b[0]), Len: binary.LittleEndian.Uint32(b[1:])}
	var want, limit uint32
	switch h.Type {
	case FrameHello:
		want = helloBytes
	case FrameWelcome:
		want = welcomeBytes
	case FrameDenied:
		want = 1
	case FrameMessage:
		limit = maxFrameBody
	case FrameKeepAlive, FrameClose:
		want = tagBytes
	default:
		return frameHeader{}, 0, fmt.Errorf("%w: unknown frame type %v", ErrProtocol, h.Type)
	}
	if want != 0 && h.Len != want {
		return frameHeader{}, 0, fmt.Errorf("%w: %v frame of %d bytes, want %d", ErrProtocol, h.Type, h.Len, want)
	}
	if limit != 0 && (h.Len < tagBytes || h.Len > limit) {
		return frameHeader{}, 0, fmt.Errorf("%w: %v frame of %d bytes, want %d..%d", ErrProtocol, h.Type, h.Len, tagBytes, limit)
	}
	return h, frameHeaderBytes, nil
}

// readFrame reads one frame from r. The body is freshly allocated (after the
// length check) so the caller owns it.
func readFrame(r io.Reader, hdr *[frameHeaderBytes]byte) (frameHeader, []byte, error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frameHeader{}, nil, err
	}
	h, _, err := parseFrameHeader(hdr[:])
	if err != nil {
		return frameHeader{}, nil, err
	}
	body := make([]byte, h.Len)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frameHeader{}, nil, err
	}
	return h, body, nil
}

// hello is the body of the client's first frame: what the server needs to
// open the private part of the connect token, and the client's key salt.
//
// Layout (1081 bytes, little-endian):
//
//	[protocol version] (uint8)            ProtocolVersion
//	[client salt] (16 bytes)              random per connection attempt
//	[protocol id] (uint64)                from the connect token
//	[expire timestamp] (uint64)           unix seconds, from the connect token
//	[connect token nonce] (24 bytes)
//	[sealed private connect token] (1024 bytes)
type hello struct {
	Version         uint8
	Salt            [saltBytes]byte
	ProtocolID      uint64
	ExpireTimestamp uint64
	Nonce           [secure.TokenNonceBytes]byte
	PrivateData     [secure.PrivateTokenBytes]byte
}

func (h *hello) Len() int { return helloBytes }

func (h *hello) Append(b []byte) []byte {
	b = append(b, h.Version)
	b = append(b, h.Salt[:]...)
	b = binary.LittleEndian.AppendUint64(b, h.ProtocolID)
	b = binary.LittleEndian.AppendUint64(b, h.ExpireTimestamp)
	b = append(b, h.Nonce[:]...)
	return append(b, h.PrivateData[:]...)
}

func parseHello(b []byte) (hello, int, error) {
	var h hello
	if len(b) < helloBytes {
		return h, 0, io.ErrUnexpectedEOF
	}
	h.Version = b[0]
	b = b[1:]
	b = b[copy(h.Salt[:], b):]
	h.ProtocolID = binary.LittleEndian.Uint64(b)
	h.ExpireTimestamp = binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	b = b[copy(h.Nonce[:], b):]
	copy(h.PrivateData[:], b)
	return h, helloBytes, nil
}

// welcome is what the server's FrameWelcome proves and says. On the wire:
//
//	[server salt] (16 bytes)                      cleartext, authenticated
//	sealed with the server-to-client session key, message counter 0,
//	associated data = frame header | server salt:
//	  [client id] (uint64)
//	  [timeout seconds] (int32)                   -1 = none
//	[tag] (16 bytes)
type welcome struct {
	ClientID       uint64
	TimeoutSeconds int32
}

// sessionKeys derives one connection's two AEAD keys from the token's keys
// and both sides' salts, so that a token used twice (same address, before it
// expires) never repeats a (key, nonce) pair.
func sessionKeys(c2s, s2c secure.Key, clientSalt, serverSalt *[saltBytes]byte) (c2sKey, s2cKey []byte, err error) {
	salt := make([]byte, 0, 2*saltBytes)
	salt = append(append(salt, clientSalt[:]...), serverSalt[:]...)
	c2sKey, err = hkdf.Key(sha256.New, c2s[:], salt, "skirmish kcp v1 client to server", chacha20poly1305.KeySize)
	if err != nil {
		return nil, nil, err
	}
	s2cKey, err = hkdf.Key(sha256.New, s2c[:], salt, "skirmish kcp v1 server to client", chacha20poly1305.KeySize)
	return c2sKey, s2cKey, err
}

// sealer seals or opens one direction's frames; the nonce is 4 zero bytes
// and the direction's message counter (uint64, little-endian).
type sealer struct {
	aead    cipher.AEAD
	counter uint64
	nonce   [chacha20poly1305.NonceSize]byte
	ad      [frameHeaderBytes + saltBytes]byte // open's associated data
}

func newSealer(key []byte) (*sealer, error) {
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) nextNonce() []byte {
	binary.LittleEndian.PutUint64(s.nonce[4:], s.counter)
	return s.nonce[:]
}

// appendFrame appends a sealed frame (header, then plain sealed with the
// header and extraAD as associated data) to dst. It does not advance the
// counter: call commit once the frame is on the stream.
func (s *sealer) appendFrame(dst []byte, t FrameType, extraClear, plain []byte) []byte {
	start := len(dst)
	dst = frameHeader{Type: t, Len: uint32(len(extraClear) + len(plain) + tagBytes)}.Append(dst)
	dst = append(dst, extraClear...)
	ad := dst[start:]
	return s.aead.Seal(dst, s.nextNonce(), plain, ad)
}

func (s *sealer) commit() { s.counter++ }

// open authenticates and decrypts body (in place) of a frame with header
// hdr, where the first nClear bytes of body are cleartext associated data,
// and advances the counter.
func (s *sealer) open(hdr []byte, body []byte, nClear int) ([]byte, error) {
	if len(body) < nClear+tagBytes {
		return nil, fmt.Errorf("%w: short sealed frame", ErrAuthFailed)
	}
	ad := append(append(s.ad[:0], hdr...), body[:nClear]...)
	ct := body[nClear:]
	plain, err := s.aead.Open(ct[:0], s.nextNonce(), ct, ad)
	if err != nil {
		return nil, fmt.Errorf("%w: frame %d", ErrAuthFailed, s.counter)
	}
	s.counter++
	return plain, nil
}

func appendUint64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
func appendUint32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
