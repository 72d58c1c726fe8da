package flood

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Kind names one kind of hostile traffic.
type Kind string

// UDP kinds (game port).
const (
	Junk      Kind = "junk"
	Forged    Kind = "forged"
	Expired   Kind = "expired"
	Replayed  Kind = "replayed"
	WrongAddr Kind = "wrongaddr"
	Tampered  Kind = "tampered"
	Replay    Kind = "replay"
)

// TCP kinds (lobby port).
const (
	Silent    Kind = "silent"
	Slowloris Kind = "slowloris"
	HugeLine  Kind = "hugeline"
	BadJSON   Kind = "badjson"
	Unknown   Kind = "unknown"
	Storm     Kind = "storm"
)

// UDPKinds and TCPKinds list every kind in a stable order.
var (
	UDPKinds = []Kind{Junk, Forged, Expired, Replayed, WrongAddr, Tampered, Replay}
	TCPKinds = []Kind{Silent, Slowloris, HugeLine, BadJSON, Unknown, Storm}
)

// needsKey are the UDP kinds that need the shared key to mint real tokens.
var needsKey = map[Kind]bool{Replayed: true, WrongAddr: true}

// Hard bounds, whatever the configuration says.
const (
	MaxRate     = 1_000_000 // UDP packets per second, all kinds together
	MaxDuration = 10 * time.Minute
	MaxConns    = 20_000 // lobby connections
	MaxSources  = 1024   // UDP source sockets
	MaxLineRate = 10_000 // lines per second per lobby connection
)

// ProtocolID is Skirmish's netcode.io protocol id ("SKIRMISH").
const ProtocolID uint64 = 0x534b49524d495348

var (
	// ErrNotLoopback is returned for a target outside 127.0.0.0/8 and ::1.
	ErrNotLoopback = errors.New("flood: target is not a loopback address")
	// ErrBadConfig is returned for an unusable configuration (unknown kind, nothing to attack).
	ErrBadConfig = errors.New("flood: bad config")
)

// Config says what to attack, how hard and for how long. Zero fields take the defaults in the
// comments.
type Config struct {
	Game  string // game server UDP address (loopback only); "" = no UDP kinds
	Lobby string // lobby TCP address (loopback only); "" = no TCP kinds
	// Key is the lobby/game server shared key; nil = no real tokens (replayed and wrongaddr are
	// then skipped, tampered and replay fall back to session-less packets, expired to forged).
	Key        *secure.Key
	ProtocolID uint64 // default ProtocolID

	Rate     int           // UDP packets per second, all UDP kinds together; default 1000
	Count    int           // UDP packets in all; 0 = Rate × Duration
	Duration time.Duration // default 10 s
	Sources  int           // UDP source sockets per kind; default 4
	// SourceIPs are the loopback addresses packets and connections come from; default 127.0.0.1.
	// On Linux every 127.x.y.z address works without configuration.
	SourceIPs []netip.Addr

	Conns        int           // lobby connections, spread over the TCP kinds; default 100
	LineRate     int           // lines per second per badjson/unknown/storm connection; default 50
	SlowInterval time.Duration // slowloris: one byte every; default 1 s
	DialTimeout  time.Duration // lobby connect timeout; default 5 s
	// StormFor is how long badjson, unknown and storm connections send; then they fall silent
	// and wait for the server to close them. 0 = the whole duration.
	StormFor time.Duration

	// Kinds to run; default every kind that applies to the targets given.
	Kinds []Kind
	// UserData is the user data of minted tokens (default zero), for game servers that check it.
	UserData func(clientID uint64) [secure.UserDataBytes]byte
	// Progress gets one line per second (nil = none).
	Progress io.Writer
	Now      func() time.Time // default time.Now; the clock tokens are minted with
	Seed     uint64           // default from the clock
}

// KindStats is what one kind did.
type KindStats struct {
	Sent     uint64 `json:"sent"`      // packets (UDP) or lines and connection attempts (TCP)
	Replies  uint64 `json:"replies"`   // packets or lines received
	BytesOut uint64 `json:"bytes_out"` // payload bytes sent
	BytesIn  uint64 `json:"bytes_in"`  // payload bytes received
	Errors   uint64 `json:"errors"`    // failed sends, dials, setups
	// Lobby only.
	Conns  uint64            `json:"conns,omitempty"`  // connections established
	Closed uint64            `json:"closed,omitempty"` // of those, closed by the server
	Codes  map[string]uint64 `json:"codes,omitempty"`  // error codes received
	// ClosedWithCode counts connections the server closed right after an error line with a
	// code (the last line it sent was the error that says why).
	ClosedWithCode uint64 `json:"closed_with_code,omitempty"`
	Note           string `json:"note,omitempty"` // why a kind did less than asked
}

// Summary is the result of a run.
type Summary struct {
	Seconds  float64             `json:"seconds"`
	Kinds    map[Kind]*KindStats `json:"kinds"`
	Sent     uint64              `json:"sent"`
	Replies  uint64              `json:"replies"`
	BytesOut uint64              `json:"bytes_out"`
	BytesIn  uint64              `json:"bytes_in"`
	Errors   uint64              `json:"errors"`
	// AmplifiedSources counts UDP source sockets that received more bytes than they sent.
	AmplifiedSources int `json:"amplified_sources"`
	// MaxSourceBytesIn is the largest byte count any one UDP source socket received.
	MaxSourceBytesIn uint64 `json:"max_source_bytes_in"`
}

// PacketsPerSecond is the achieved UDP send rate.
func (s *Summary) PacketsPerSecond() float64 {
	var n uint64
	for _, k := range UDPKinds {
		if ks := s.Kinds[k]; ks != nil {
			n += ks.Sent
		}
	}
	if s.Seconds <= 0 {
		return 0
	}
	return float64(n) / s.Seconds
}

// counters are one kind's live counters.
type counters struct {
	sent, replies, bytesOut, bytesIn, errors, conns, closed, closedWithCode atomic.Uint64
	mu                                                                      sync.Mutex
	codes                                                                   map[string]uint64
	note                                                                    string
}

func (c *counters) code(code string) {
	c.mu.Lock()
	if c.codes == nil {
		c.codes = map[string]uint64{}
	}
	c.codes[code]++
	c.mu.Unlock()
}

func (c *counters) setNote(s string) {
	c.mu.Lock()
	if c.note == "" {
		c.note = s
	}
	c.mu.Unlock()
}

func (c *counters) snapshot() *KindStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := &KindStats{
		Sent: c.sent.Load(), Replies: c.replies.Load(), BytesOut: c.bytesOut.Load(), BytesIn: c.bytesIn.Load(),
		Errors: c.errors.Load(), Conns: c.conns.Load(), Closed: c.closed.Load(), ClosedWithCode: c.closedWithCode.Load(),
		Note: c.note,
	}
	if len(c.codes) > 0 {
		ks.Codes = make(map[string]uint64, len(c.codes))
		for k, v := range c.codes {
			ks.Codes[k] = v
		}
	}
	return ks
}

// CheckLoopback parses addr ("ip:port" or "localhost:port") and returns it if it is a loopback
// address; it never resolves names.
func CheckLoopback(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("flood: target %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not an IP address (names are not resolved)", ErrNotLoopback, host)
	}
	ip = ip.Unmap()
	if !ip.IsLoopback() || ip.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%w: %s", ErrNotLoopback, ip)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.AddrPort{}, fmt.Errorf("flood: target %q: bad port", addr)
	}
	return netip.AddrPortFrom(ip, uint16(n)), nil
}

// ParseKinds parses a comma-separated list of kinds; "all", "udp" and "tcp" are groups.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	add := func(ks ...Kind) {
		for _, k := range ks {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		switch {
		case f == "":
		case f == "all":
			add(UDPKinds...)
			add(TCPKinds...)
		case f == "udp":
			add(UDPKinds...)
		case f == "tcp", f == "lobby":
			add(TCPKinds...)
		case slices.Contains(UDPKinds, Kind(f)) || slices.Contains(TCPKinds, Kind(f)):
			add(Kind(f))
		default:
			return nil, fmt.Errorf("%w: unknown kind %q", ErrBadConfig, f)
		}
	}
	return out, nil
}

// plan is a validated Config.
type plan struct {
	cfg      Config
	game     netip.AddrPort
	lobby    netip.AddrPort
	udp, tcp []Kind
	srcIPs   []netip.Addr
	deadline time.Time
	stats    map[Kind]*counters
}

func (cfg Config) validate() (*plan, error) {
	p := &plan{stats: map[Kind]*counters{}}
	var err error
	if cfg.Game != "" {
		if p.game, err = CheckLoopback(cfg.Game); err != nil {
			return nil, err
		}
	}
	if cfg.Lobby != "" {
		if p.lobby, err = CheckLoopback(cfg.Lobby); err != nil {
			return nil, err
		}
	}
	for _, ip := range cfg.SourceIPs {
		if !ip.Unmap().IsLoopback() {
			return nil, fmt.Errorf("%w: source %s", ErrNotLoopback, ip)
		}
		p.srcIPs = append(p.srcIPs, ip.Unmap())
	}
	if len(p.srcIPs) == 0 {
		p.srcIPs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
		if p.game.Addr().Is6() || (!p.game.IsValid() && p.lobby.Addr().Is6()) {
			p.srcIPs = []netip.Addr{netip.IPv6Loopback()}
		}
	}
	if cfg.ProtocolID == 0 {
		cfg.ProtocolID = ProtocolID
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 1000
	}
	cfg.Rate = min(cfg.Rate, MaxRate)
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	cfg.Duration = min(cfg.Duration, MaxDuration)
	if maxCount := int(float64(cfg.Rate) * cfg.Duration.Seconds()); cfg.Count <= 0 || cfg.Count > maxCount {
		cfg.Count = max(maxCount, 1)
	}
	if cfg.Sources <= 0 {
		cfg.Sources = 4
	}
	cfg.Sources = min(cfg.Sources, MaxSources)
	if cfg.Conns <= 0 {
		cfg.Conns = 100
	}
	cfg.Conns = min(cfg.Conns, MaxConns)
	if cfg.LineRate <= 0 {
		cfg.LineRate = 50
	}
	cfg.LineRate = min(cfg.LineRate, MaxLineRate)
	if cfg.SlowInterval <= 0 {
		cfg.SlowInterval = time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	kinds := cfg.Kinds
	if len(kinds) == 0 {
		kinds = append(slices.Clone(UDPKinds), TCPKinds...)
	}
	explicit := len(cfg.Kinds) > 0
	for _, k := range kinds {
		switch {
		case slices.Contains(UDPKinds, k):
			if !p.game.IsValid() {
				if explicit {
					return nil, fmt.Errorf("%w: kind %s needs -game", ErrBadConfig, k)
				}
				continue
			}
			if needsKey[k] && cfg.Key == nil {
				if explicit {
					return nil, fmt.Errorf("%w: kind %s needs the key", ErrBadConfig, k)
				}
				continue
			}
			p.udp = append(p.udp, k)
		case slices.Contains(TCPKinds, k):
			if !p.lobby.IsValid() {
				if explicit {
					return nil, fmt.Errorf("%w: kind %s needs -lobby", ErrBadConfig, k)
				}
				continue
			}
			p.tcp = append(p.tcp, k)
		default:
			return nil, fmt.Errorf("%w: unknown kind %q", ErrBadConfig, k)
		}
	}
	if len(p.udp) == 0 && len(p.tcp) == 0 {
		return nil, fmt.Errorf("%w: nothing to attack (give a game or lobby address)", ErrBadConfig)
	}
	for _, k := range append(slices.Clone(p.udp), p.tcp...) {
		p.stats[k] = &counters{}
	}
	p.cfg = cfg
	return p, nil
}

// Run attacks until the configured duration or count is reached or ctx ends, and returns what
// it did. It refuses non-loopback targets before sending anything.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	p, err := cfg.validate()
	if err != nil {
		return Summary{}, err
	}
	// Sockets, tokens and sessions first (bounded by sessionDialTimeout); the duration counts
	// from the first packet.
	var u *udpAttack
	if len(p.udp) > 0 {
		u, err = newUDPAttack(ctx, p)
		if err != nil {
			return Summary{}, err
		}
	}
	start := time.Now()
	p.deadline = start.Add(p.cfg.Duration)
	ctx, cancel := context.WithDeadline(ctx, p.deadline)
	defer cancel()
	var wg sync.WaitGroup
	if u != nil {
		wg.Go(func() { u.run(ctx) })
	}
	var t *tcpAttack
	if len(p.tcp) > 0 {
		t = newTCPAttack(p)
		wg.Go(func() { t.run(ctx) })
	}
	progressDone := make(chan struct{})
	progressStopped := make(chan struct{})
	go func() {
		defer close(progressStopped)
		if p.cfg.Progress == nil {
			return
		}
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-tk.C:
				s := p.summary(time.Since(start), u)
				open := int64(0)
				if t != nil {
					open = t.open.Load()
				}
				fmt.Fprintf(p.cfg.Progress, "flood: %4.0fs udp %d sent (%.0f/s) %d replies | lobby %d open, %d lines in | errors %d\n",
					s.Seconds, s.udpSent(), s.PacketsPerSecond(), s.udpReplies(), open, s.tcpReplies(), s.Errors)
			}
		}
	}()
	wg.Wait()
	close(progressDone)
	<-progressStopped
	if u != nil {
		u.close()
	}
	return p.summary(time.Since(start), u), nil
}

func (s *Summary) udpSent() (n uint64) {
	for _, k := range UDPKinds {
		if ks := s.Kinds[k]; ks != nil {
			n += ks.Sent
		}
	}
	return n
}

func (s *Summary) udpReplies() (n uint64) {
	for _, k := range UDPKinds {
		if ks := s.Kinds[k]; ks != nil {
			n += ks.Replies
		}
	}
	return n
}

func (s *Summary) tcpReplies() (n uint64) {
	for _, k := range TCPKinds {
		if ks := s.Kinds[k]; ks != nil {
			n += ks.Replies
		}
	}
	return n
}

func (p *plan) summary(elapsed time.Duration, u *udpAttack) Summary {
	s := Summary{Seconds: elapsed.Seconds(), Kinds: map[Kind]*KindStats{}}
	for k, c := range p.stats {
		ks := c.snapshot()
		s.Kinds[k] = ks
		s.Sent += ks.Sent
		s.Replies += ks.Replies
		s.BytesOut += ks.BytesOut
		s.BytesIn += ks.BytesIn
		s.Errors += ks.Errors
	}
	if u != nil {
		s.AmplifiedSources, s.MaxSourceBytesIn = u.amplification()
	}
	return s
}
