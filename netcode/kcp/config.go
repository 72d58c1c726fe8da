package kcp

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	kcpgo "github.com/xtaci/kcp-go/v5"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Defaults for [Options], [ServerConfig] and [ClientConfig].
const (
	DefaultWindow               = 256 // KCP send and receive windows, in segments
	DefaultMTU                  = 1200
	DefaultKeepAlive            = time.Second
	DefaultLinger               = time.Second
	DefaultRecvQueue            = 256
	DefaultMaxClients           = 256
	DefaultHandshakeTimeout     = 5 * time.Second
	DefaultMaxPendingHandshakes = 64
	DefaultConnectTimeout       = 5 * time.Second
	defaultDenyLinger           = 500 * time.Millisecond
	// kcp fast mode: no delay, 10 ms internal tick, fast resend after 2
	// duplicate ACKs, no congestion window (game traffic is small and paced).
	kcpNoDelay, kcpInterval, kcpResend, kcpNoCongestion = 1, 10, 2, 1
)

// FEC configures kcp-go's Reed-Solomon forward error correction: every
// DataShards KCP packets are followed by ParityShards parity packets, so
// that many losses per group are repaired without a retransmission. The zero
// value turns FEC off. Both ends must use the same values.
//
// *FEC is a flag.Value, for a "-kcp-fec data,parity" flag:
//
//	flag.Var(&cfg.FEC, "kcp-fec", "KCP forward error correction as data,parity shards (e.g. 10,3); empty = off")
type FEC struct {
	DataShards, ParityShards int
}

// Enabled reports whether f asks for FEC.
func (f FEC) Enabled() bool { return f.DataShards > 0 }

// String returns "data,parity", or "" when off.
func (f FEC) String() string {
	if !f.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d,%d", f.DataShards, f.ParityShards)
}

// Set parses s as [ParseFEC] does.
func (f *FEC) Set(s string) error {
	v, err := ParseFEC(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFEC parses "data,parity" (e.g. "10,3"). "", "off" and "0,0" mean no
// FEC. Each count is 1..128 and data+parity ≤ 255.
func ParseFEC(s string) (FEC, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" || s == "0,0" {
		return FEC{}, nil
	}
	ds, ps, ok := strings.Cut(s, ",")
	if !ok {
		return FEC{}, fmt.Errorf("kcp: fec %q: want data,parity", s)
	}
	d, err := strconv.Atoi(strings.TrimSpace(ds))
	if err != nil {
		return FEC{}, fmt.Errorf("kcp: fec %q: data shards: %w", s, err)
	}
	p, err := strconv.Atoi(strings.TrimSpace(ps))
	if err != nil {
		return FEC{}, fmt.Errorf("kcp: fec %q: parity shards: %w", s, err)
	}
	f := FEC{DataShards: d, ParityShards: p}
	if err := f.validate(); err != nil {
		return FEC{}, err
	}
	return f, nil
}

func (f FEC) validate() error {
	if f == (FEC{}) {
		return nil
	}
	if f.DataShards < 1 || f.DataShards > 128 || f.ParityShards < 1 || f.ParityShards > 128 || f.DataShards+f.ParityShards > 255 {
		return fmt.Errorf("kcp: fec %d,%d: want 1..128 data and 1..128 parity shards, at most 255 in all", f.DataShards, f.ParityShards)
	}
	return nil
}

// Options tune the KCP transport; both ends should agree. Zero fields take
// the defaults.
type Options struct {
	FEC        FEC
	SendWindow int // segments in flight; default 256
	RecvWindow int // segments buffered for reassembly; default 256
	// MTU is the size of a KCP packet (FEC adds 8 bytes on the wire);
	// default 1200, at most 1400.
	MTU int
	// KeepAlive is how often an idle session sends an authenticated
	// keep-alive; default 1 s (or a third of the token timeout if shorter).
	KeepAlive time.Duration
	// Linger bounds how long Close waits for the peer to confirm it read
	// everything sent before the close; default 1 s.
	Linger time.Duration
	// RecvQueue is how many received messages wait for Receive before the
	// session stops reading (and KCP's window pushes back on the sender);
	// default 256.
	RecvQueue int

	// writeSlice bounds each kcp-go Write (see Session.writeFrameLocked);
	// zero means defaultWriteSlice. Tests set it long to stand for a kcp-go
	// Write that does not honour its deadline.
	writeSlice time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if err := o.FEC.validate(); err != nil {
		return o, err
	}
	if o.SendWindow <= 0 {
		o.SendWindow = DefaultWindow
	}
	if o.RecvWindow <= 0 {
		o.RecvWindow = DefaultWindow
	}
	if o.MTU <= 0 {
		o.MTU = DefaultMTU
	}
	if o.MTU < 256 || o.MTU > 1400 {
		return o, fmt.Errorf("kcp: MTU %d: want 256..1400", o.MTU)
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.Linger <= 0 {
		o.Linger = DefaultLinger
	}
	if o.RecvQueue <= 0 {
		o.RecvQueue = DefaultRecvQueue
	}
	if o.writeSlice <= 0 {
		o.writeSlice = defaultWriteSlice
	}
	return o, nil
}

// tune applies the game settings to a kcp-go session.
func (o *Options) tune(s *kcpgo.UDPSession) {
	s.SetStreamMode(false)
	s.SetNoDelay(kcpNoDelay, kcpInterval, kcpResend, kcpNoCongestion)
	s.SetWindowSize(o.SendWindow, o.RecvWindow)
	s.SetMtu(o.MTU)
	s.SetACKNoDelay(true)
	s.SetWriteDelay(false)
}

// ServerConfig configures [Listen]. Zero fields take defaults.
type ServerConfig struct {
	ProtocolID uint64
	PrivateKey secure.Key // shared with the lobby that issues connect tokens
	// PublicAddr is the address tokens must name; default the conn's local
	// address (set it when clients reach the server through a proxy or NAT).
	PublicAddr netip.AddrPort
	MaxClients int // open sessions; default 256, beyond that DenyServerFull
	// HandshakeTimeout bounds how long a new KCP session may take to present
	// a valid hello; default 5 s.
	HandshakeTimeout time.Duration
	// MaxPendingHandshakes bounds sessions that have not finished the
	// handshake; beyond it new KCP sessions are dropped at once. Default 64.
	MaxPendingHandshakes int
	Options
	Now    func() time.Time // default time.Now (token expiry)
	Logger *slog.Logger     // default discards
}

// ClientConfig configures [Dial]. Zero fields take defaults.
type ClientConfig struct {
	// ConnectTimeout bounds the wait for each server's welcome; default the
	// token's timeout, or 5 s when the token has none.
	ConnectTimeout time.Duration
	Options
	Now func() time.Time // default time.Now (the token's lifetime, counted from Dial)
}

// keepAliveFor picks the keep-alive interval for a session timeout.
func keepAliveFor(o *Options, timeout time.Duration) time.Duration {
	if timeout > 0 && o.KeepAlive > timeout/3 {
		return max(timeout/3, 10*time.Millisecond)
	}
	return o.KeepAlive
}

func timeoutOf(seconds int32) time.Duration {
	if seconds <= 0 {
		return 0
	}
	return time.Duration(seconds) * time.Second
}
