package secure

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes fixed by the netcode.io 1.02 standard.
const (
	// ConnectTokenBytes is the size of a whole connect token (public part).
	ConnectTokenBytes = 2048
	// KeyBytes is the size of every key in the protocol.
	KeyBytes = 32
	// UserDataBytes is the size of the opaque user data carried in a token.
	UserDataBytes = 256
	// MaxPayloadBytes is the largest payload one payload packet carries.
	MaxPayloadBytes = 1200
	// MaxServerAddrs is the most server addresses one connect token may name.
	MaxServerAddrs = 32
	// PrivateTokenBytes is the size of the sealed private part of a connect token.
	PrivateTokenBytes = 1024
	// TokenNonceBytes is the size of the XChaCha20-Poly1305 nonce of the private token.
	TokenNonceBytes = 24
	// VersionInfo is the 13-byte version string (with its NUL) every token and
	// packet carries or authenticates.
	VersionInfo = "NETCODE 1.02\x00"

	versionInfoBytes    = len(VersionInfo)
	macBytes            = 16
	challengeTokenBytes = 300
	addrTypeIPv4        = 1
	addrTypeIPv6        = 2
)

// Defaults for [TokenParams].
const (
	DefaultTokenExpiry    = 30 * time.Second
	DefaultTimeoutSeconds = 5
)

// ErrInvalidToken reports a connect token that cannot be read: wrong size,
// wrong version, a bad address list, or (server side) a private part that
// does not open under the private key.
var ErrInvalidToken = errors.New("secure: invalid connect token")

// TokenParams says what a connect token grants. Zero fields take defaults.
type TokenParams struct {
	ProtocolID  uint64
	ClientID    uint64
	ServerAddrs []netip.AddrPort // 1..32, tried in order by the client
	ExpireAfter time.Duration    // default 30 s; the token is refused once expired
	// TimeoutSeconds is how long either side waits without a packet before it
	// drops the connection. 0 means the default (5); negative means none.
	TimeoutSeconds int32
	UserData       [UserDataBytes]byte
	Now            time.Time // zero = time.Now()
}

// GenerateConnectToken builds a 2048-byte connect token for one client: fresh
// random client-to-server and server-to-client keys, a random 24-byte nonce,
// and the private part sealed with key (the secret shared with the game
// servers). The lobby hands the bytes to the client, which passes them to [Dial].
func GenerateConnectToken(key Key, p TokenParams) ([]byte, error) {
	return generateConnectToken(key, p, rand.Reader)
}

// generateConnectToken is GenerateConnectToken with the randomness injected,
// so golden tests are deterministic.
func generateConnectToken(key Key, p TokenParams, rnd io.Reader) ([]byte, error) {
	if len(p.ServerAddrs) < 1 || len(p.ServerAddrs) > MaxServerAddrs {
		return nil, fmt.Errorf("secure: generate token: %d server addresses, want 1..%d", len(p.ServerAddrs), MaxServerAddrs)
	}
	for _, a := range p.ServerAddrs {
		if !a.IsValid() || a.Addr().Zone() != "" {
			return nil, fmt.Errorf("secure: generate token: bad server address %v", a)
		}
	}
	if p.ExpireAfter < 0 {
		return nil, fmt.Errorf("secure: generate token: negative ExpireAfter %v", p.ExpireAfter)
	}
	if p.ExpireAfter == 0 {
		p.ExpireAfter = DefaultTokenExpiry
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = DefaultTimeoutSeconds
	}
	if p.TimeoutSeconds < 0 {
		p.TimeoutSeconds = -1
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	t := ConnectToken{
		ProtocolID:      p.ProtocolID,
		CreateTimestamp: uint64(now.Unix()),
		ExpireTimestamp: uint64(now.Add(p.ExpireAfter).Unix()),
		TimeoutSeconds:  p.TimeoutSeconds,
		ServerAddrs:     p.ServerAddrs,
	}
	if _, err := io.ReadFull(rnd, t.ClientToServerKey[:]); err != nil {
		return nil, fmt.Errorf("secure: generate token: %w", err)
	}
	if _, err := io.ReadFull(rnd, t.ServerToClientKey[:]); err != nil {
		return nil, fmt.Errorf("secure: generate token: %w", err)
	}
	if _, err := io.ReadFull(rnd, t.Nonce[:]); err != nil {
		return nil, fmt.Errorf("secure: generate token: %w", err)
	}
	priv := privateToken{
		ClientID:          p.ClientID,
		TimeoutSeconds:    p.TimeoutSeconds,
		ClientToServerKey: t.ClientToServerKey,
		ServerToClientKey: t.ServerToClientKey,
		UserData:          p.UserData,
	}
	priv.NumAddrs = copy(priv.Addrs[:], p.ServerAddrs)
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, fmt.Errorf("secure: generate token: %w", err)
	}
	plain := priv.appendPlain(make([]byte, 0, PrivateTokenBytes))
	var ad [tokenADBytes]byte
	sealed := sealPrivateToken(aead, &ad, t.PrivateData[:0], plain, t.ProtocolID, t.ExpireTimestamp, t.Nonce[:])
	copy(t.PrivateData[:], sealed)
	return t.Append(make([]byte, 0, ConnectTokenBytes)), nil
}

// ConnectToken is the public part of a connect token as the client reads it.
//
// Layout (2048 bytes, little-endian, zero padded):
//
//	[version info] (13 bytes)  "NETCODE 1.02\0"
//	[protocol id] (uint64)
//	[create timestamp] (uint64)  unix seconds
//	[expire timestamp] (uint64)  unix seconds
//	[connect token nonce] (24 bytes)
//	[encrypted private connect token data] (1024 bytes)
//	[timeout seconds] (int32)
//	[num server addresses] (uint32)  1..32
//	<each address: type (uint8) 1 = IPv4: a b c d (uint8 each), port (uint16)
//	                           2 = IPv6: 8 × uint16 groups, port (uint16)>
//	[client to server key] (32 bytes)
//	[server to client key] (32 bytes)
type ConnectToken struct {
	ProtocolID        uint64
	CreateTimestamp   uint64
	ExpireTimestamp   uint64
	Nonce             [TokenNonceBytes]byte
	PrivateData       [PrivateTokenBytes]byte // sealed; only the servers can open it
	TimeoutSeconds    int32
	ServerAddrs       []netip.AddrPort
	ClientToServerKey Key
	ServerToClientKey Key
}

// Len returns the encoded size, always [ConnectTokenBytes].
func (t *ConnectToken) Len() int { return ConnectTokenBytes }

// Append appends the 2048-byte encoding of t to b.
func (t *ConnectToken) Append(b []byte) []byte {
	start := len(b)
	b = append(b, VersionInfo...)
	b = binary.LittleEndian.AppendUint64(b, t.ProtocolID)
	b = binary.LittleEndian.AppendUint64(b, t.CreateTimestamp)
	b = binary.LittleEndian.AppendUint64(b, t.ExpireTimestamp)
	b = append(b, t.Nonce[:]...)
	b = append(b, t.PrivateData[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(t.TimeoutSeconds))
	b = appendAddrs(b, t.ServerAddrs)
	b = append(b, t.ClientToServerKey[:]...)
	b = append(b, t.ServerToClientKey[:]...)
	return append(b, make([]byte, ConnectTokenBytes-(len(b)-start))...)
}

// ParseConnectToken reads the public part of a connect token. It checks what
// the standard asks a client to check (version, 1..32 addresses of type 1 or
// 2, create <= expire); it cannot check the sealed private part.
func ParseConnectToken(b []byte) (*ConnectToken, error) {
	if len(b) < ConnectTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, want %d: %w", ErrInvalidToken, len(b), ConnectTokenBytes, io.ErrUnexpectedEOF)
	}
	if len(b) > ConnectTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidToken, len(b), ConnectTokenBytes)
	}
	if string(b[:versionInfoBytes]) != VersionInfo {
		return nil, fmt.Errorf("%w: bad version info", ErrInvalidToken)
	}
	r := reader{b: b[versionInfoBytes:]}
	t := &ConnectToken{}
	t.ProtocolID = r.uint64()
	t.CreateTimestamp = r.uint64()
	t.ExpireTimestamp = r.uint64()
	r.bytes(t.Nonce[:])
	r.bytes(t.PrivateData[:])
	t.TimeoutSeconds = int32(r.uint32())
	var addrs [MaxServerAddrs]netip.AddrPort
	n, err := readAddrs(&r, &addrs)
	if err != nil {
		return nil, err
	}
	t.ServerAddrs = append([]netip.AddrPort(nil), addrs[:n]...)
	r.bytes(t.ClientToServerKey[:])
	r.bytes(t.ServerToClientKey[:])
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, r.err)
	}
	if t.CreateTimestamp > t.ExpireTimestamp {
		return nil, fmt.Errorf("%w: created after it expires", ErrInvalidToken)
	}
	return t, nil
}

// NeverExpires is the expire timestamp the reference implementation writes
// for a token that never expires (expire_seconds < 0 in
// netcode_generate_connect_token): 2^64−1.
const NeverExpires = ^uint64(0)

// maxExpireUnix is the last unix second a time.Time is asked to hold
// (9999-12-31T23:59:59Z). An expire timestamp past it, [NeverExpires] among
// them, is "never": converting it with time.Unix would overflow into the past.
const maxExpireUnix = 253402300799

// tokenLifetime is how long a client keeps trying to connect with t: the
// reference's expire − create, counted from the start of the attempt. ok is
// false when the token never expires in practice (the span does not fit a
// time.Duration, or expire is past [maxExpireUnix]).
func tokenLifetime(t *ConnectToken) (time.Duration, bool) {
	if t.ExpireTimestamp > maxExpireUnix {
		return 0, false
	}
	if t.ExpireTimestamp <= t.CreateTimestamp {
		return 0, true
	}
	secs := t.ExpireTimestamp - t.CreateTimestamp
	if secs > uint64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

// Lifetime is how long a client keeps trying to connect with t, counted from the start of
// its attempt: expire − create, as the reference counts it (a client's own clock never
// judges a token's expiry; the server does). ok is false for a token that never expires.
func (t *ConnectToken) Lifetime() (d time.Duration, ok bool) { return tokenLifetime(t) }

// expiryTime converts an expire timestamp to a time; ok is false for one
// that never comes (past [maxExpireUnix]).
func expiryTime(expire uint64) (time.Time, bool) {
	if expire > maxExpireUnix {
		return time.Time{}, false
	}
	return time.Unix(int64(expire), 0), true
}

// privateToken is the plaintext of the sealed part of a connect token.
//
// Layout (1024 bytes; the last 16 hold the Poly1305 tag once sealed):
//
//	[client id] (uint64)
//	[timeout seconds] (int32)
//	[num server addresses] (uint32) + addresses as in ConnectToken
//	[client to server key] (32 bytes)
//	[server to client key] (32 bytes)
//	[user data] (256 bytes)
//	<zero pad to 1024 bytes>
type privateToken struct {
	ClientID          uint64
	TimeoutSeconds    int32
	NumAddrs          int
	Addrs             [MaxServerAddrs]netip.AddrPort
	ClientToServerKey Key
	ServerToClientKey Key
	UserData          [UserDataBytes]byte
}

// appendPlain appends the 1024-byte plaintext (zero padded, tag space zero).
func (p *privateToken) appendPlain(b []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint64(b, p.ClientID)
	b = binary.LittleEndian.AppendUint32(b, uint32(p.TimeoutSeconds))
	b = appendAddrs(b, p.Addrs[:p.NumAddrs])
	b = append(b, p.ClientToServerKey[:]...)
	b = append(b, p.ServerToClientKey[:]...)
	b = append(b, p.UserData[:]...)
	for len(b)-start < PrivateTokenBytes {
		b = append(b, 0)
	}
	return b
}

// parsePrivateToken reads a decrypted private token (at least the 1008
// plaintext bytes) into p.
func parsePrivateToken(b []byte, p *privateToken) error {
	if len(b) < PrivateTokenBytes-macBytes {
		return fmt.Errorf("%w: private part: %w", ErrInvalidToken, io.ErrUnexpectedEOF)
	}
	r := reader{b: b[:PrivateTokenBytes-macBytes]}
	p.ClientID = r.uint64()
	p.TimeoutSeconds = int32(r.uint32())
	n, err := readAddrs(&r, &p.Addrs)
	if err != nil {
		return err
	}
	p.NumAddrs = n
	r.bytes(p.ClientToServerKey[:])
	r.bytes(p.ServerToClientKey[:])
	r.bytes(p.UserData[:])
	if r.err != nil {
		return fmt.Errorf("%w: private part: %w", ErrInvalidToken, r.err)
	}
	return nil
}

const tokenADBytes = versionInfoBytes + 8 + 8

// tokenAD fills ad with the private token's associated data:
// version info (13) | protocol id (uint64) | expire timestamp (uint64).
func tokenAD(ad *[tokenADBytes]byte, protocolID, expire uint64) {
	copy(ad[:], VersionInfo)
	binary.LittleEndian.PutUint64(ad[versionInfoBytes:], protocolID)
	binary.LittleEndian.PutUint64(ad[versionInfoBytes+8:], expire)
}

// sealPrivateToken seals the first 1008 bytes of plain (1024 bytes) with
// XChaCha20-Poly1305 and appends the 1024-byte result to dst.
func sealPrivateToken(aead cipher.AEAD, ad *[tokenADBytes]byte, dst, plain []byte, protocolID, expire uint64, nonce []byte) []byte {
	tokenAD(ad, protocolID, expire)
	return aead.Seal(dst, nonce, plain[:PrivateTokenBytes-macBytes], ad[:])
}

// openPrivateToken opens a 1024-byte sealed private token into dst (which
// needs 1008 bytes of capacity to stay allocation-free).
func openPrivateToken(aead cipher.AEAD, ad *[tokenADBytes]byte, dst, sealed []byte, protocolID, expire uint64, nonce []byte) ([]byte, error) {
	if len(sealed) != PrivateTokenBytes || len(nonce) != TokenNonceBytes {
		return nil, fmt.Errorf("%w: private part: bad size", ErrInvalidToken)
	}
	tokenAD(ad, protocolID, expire)
	out, err := aead.Open(dst, nonce, sealed, ad[:])
	if err != nil {
		return nil, fmt.Errorf("%w: private part does not open: %w", ErrInvalidToken, err)
	}
	return out, nil
}

func appendAddrs(b []byte, addrs []netip.AddrPort) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(addrs)))
	for _, a := range addrs {
		ip := a.Addr().Unmap()
		if ip.Is4() {
			v4 := ip.As4()
			b = append(b, addrTypeIPv4)
			b = append(b, v4[:]...)
		} else {
			v6 := ip.As16()
			b = append(b, addrTypeIPv6)
			for i := 0; i < 16; i += 2 {
				// Each group is a uint16 value written little-endian.
				b = append(b, v6[i+1], v6[i])
			}
		}
		b = binary.LittleEndian.AppendUint16(b, a.Port())
	}
	return b
}

func readAddrs(r *reader, out *[MaxServerAddrs]netip.AddrPort) (int, error) {
	n := r.uint32()
	if r.err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidToken, r.err)
	}
	if n < 1 || n > MaxServerAddrs {
		return 0, fmt.Errorf("%w: %d server addresses, want 1..%d", ErrInvalidToken, n, MaxServerAddrs)
	}
	for i := range int(n) {
		switch typ := r.uint8(); typ {
		case addrTypeIPv4:
			var v4 [4]byte
			r.bytes(v4[:])
			port := r.uint16()
			out[i] = netip.AddrPortFrom(netip.AddrFrom4(v4), port)
		case addrTypeIPv6:
			var v6 [16]byte
			for j := 0; j < 16; j += 2 {
				g := r.uint16()
				v6[j], v6[j+1] = byte(g>>8), byte(g)
			}
			port := r.uint16()
			out[i] = netip.AddrPortFrom(netip.AddrFrom16(v6), port)
		default:
			if r.err != nil {
				return 0, fmt.Errorf("%w: %w", ErrInvalidToken, r.err)
			}
			return 0, fmt.Errorf("%w: address type %d", ErrInvalidToken, typ)
		}
	}
	if r.err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidToken, r.err)
	}
	return int(n), nil
}

// reader is a little-endian cursor with a sticky io.ErrUnexpectedEOF.
type reader struct {
	b   []byte
	err error
}

func (r *reader) need(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) uint8() uint8 {
	if v := r.need(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint16() uint16 {
	if v := r.need(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if v := r.need(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.need(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (r *reader) bytes(dst []byte) {
	if v := r.need(len(dst)); v != nil {
		copy(dst, v)
	}
}
