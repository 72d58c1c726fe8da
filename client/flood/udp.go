package flood

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// pacingStep is how often a kind's sender wakes; each wake sends what is due by the wall clock,
// at most maxCatchUp's worth, so a late timer does not lower the rate and a stalled sender
// catches up without one huge burst.
const (
	// sessionDialTimeout bounds the handshake of the tampered and replay kinds' real session.
	sessionDialTimeout = time.Second

	pacingStep = 2 * time.Millisecond
	maxCatchUp = 50 * time.Millisecond
)

// source is one UDP socket packets come from.
type source struct {
	conn    *net.UDPConn
	out, in atomic.Uint64 // bytes
}

// udpKind is one kind's sockets, pool and generator.
type udpKind struct {
	kind  Kind
	c     *counters
	srcs  []*source
	pool  [][]byte // pre-built packets (real tokens, captured session packets)
	sess  *session
	rng   *rand.ChaCha8
	count uint64
	rate  float64
}

type udpAttack struct {
	p       *plan
	kinds   []*udpKind
	readers sync.WaitGroup
	once    sync.Once
}

// session is a real connection (minted token) whose packets tampered and replay resend.
type session struct {
	client *secure.Client
	src    *source
	mu     sync.Mutex
	caught [][]byte // encrypted keep-alive and payload packets the client sent
}

// recConn is the session's socket as secure.Dial sees it: it counts bytes and keeps copies of
// the encrypted keep-alive and payload packets the client writes.
type recConn struct {
	*net.UDPConn
	s *session
	c *counters
}

func (r *recConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := r.UDPConn.ReadFrom(b)
	if err == nil {
		r.s.src.in.Add(uint64(n))
		r.c.replies.Add(1)
		r.c.bytesIn.Add(uint64(n))
	}
	return n, a, err
}

func (r *recConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if len(b) > 0 {
		if t := b[0] & 0x0f; t == 4 || t == 5 {
			r.s.mu.Lock()
			if len(r.s.caught) < 64 {
				r.s.caught = append(r.s.caught, append([]byte(nil), b...))
			}
			r.s.mu.Unlock()
		}
	}
	n, err := r.UDPConn.WriteTo(b, a)
	r.s.src.out.Add(uint64(n))
	return n, err
}

func newUDPAttack(ctx context.Context, p *plan) (*udpAttack, error) {
	u := &udpAttack{p: p}
	seed := p.cfg.Seed
	n := len(p.udp)
	for i, k := range p.udp {
		uk := &udpKind{
			kind: k, c: p.stats[k],
			rng:   rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), byte(seed >> 32), byte(i)}),
			count: uint64(p.cfg.Count / n),
			rate:  float64(p.cfg.Rate) / float64(n),
		}
		if i < p.cfg.Count%n {
			uk.count++
		}
		u.kinds = append(u.kinds, uk)
		for j := range p.cfg.Sources {
			ip := p.srcIPs[(i*p.cfg.Sources+j)%len(p.srcIPs)]
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
			if err != nil {
				u.close()
				return nil, fmt.Errorf("flood: %s: source socket: %w", k, err)
			}
			uk.srcs = append(uk.srcs, &source{conn: conn})
		}
	}
	var prep sync.WaitGroup
	for _, uk := range u.kinds {
		prep.Go(func() {
			if err := u.prepare(ctx, uk); err != nil {
				uk.c.errors.Add(1)
				uk.c.setNote(err.Error())
			}
		})
	}
	prep.Wait()
	for _, uk := range u.kinds {
		for _, s := range uk.srcs {
			if uk.sess != nil && s == uk.sess.src {
				continue // the secure.Client reads this one
			}
			u.readers.Go(func() { readReplies(s, uk.c) })
		}
	}
	return u, nil
}

func readReplies(s *source, c *counters) {
	buf := make([]byte, 2048)
	for {
		n, _, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.errors.Add(1) // ICMP port unreachable and the like; bounded by what we sent
			continue
		}
		s.in.Add(uint64(n))
		c.replies.Add(1)
		c.bytesIn.Add(uint64(n))
	}
}

// mint returns a real connect token's request packet.
func (u *udpAttack) mint(now time.Time, addr netip.AddrPort, expireAfter time.Duration, id uint64) ([]byte, error) {
	cfg := u.p.cfg
	var ud [secure.UserDataBytes]byte
	if cfg.UserData != nil {
		ud = cfg.UserData(id)
	}
	tok, err := secure.GenerateConnectToken(*cfg.Key, secure.TokenParams{
		ProtocolID: cfg.ProtocolID, ClientID: id, ServerAddrs: []netip.AddrPort{addr},
		ExpireAfter: expireAfter, UserData: ud, Now: now,
	})
	if err != nil {
		return nil, fmt.Errorf("mint token: %w", err)
	}
	ct, err := secure.ParseConnectToken(tok)
	if err != nil {
		return nil, fmt.Errorf("mint token: %w", err)
	}
	return appendRequest(nil, ct.ProtocolID, ct.ExpireTimestamp, ct.Nonce[:], ct.PrivateData[:]), nil
}

// appendRequest appends a netcode.io 1.02 connection request packet (1078 bytes).
func appendRequest(b []byte, protocolID, expire uint64, nonce, private []byte) []byte {
	b = append(b, 0)
	b = append(b, secure.VersionInfo...)
	b = binary.LittleEndian.AppendUint64(b, protocolID)
	b = binary.LittleEndian.AppendUint64(b, expire)
	b = append(b, nonce...)
	return append(b, private...)
}

// clientID returns a client id far from the ids a lobby hands out.
func (uk *udpKind) clientID() uint64 { return 1<<62 | uk.rng.Uint64()>>2 }

// prepare builds the pools that need the key: real tokens, and the real session.
func (u *udpAttack) prepare(ctx context.Context, uk *udpKind) error {
	cfg := u.p.cfg
	now := cfg.Now()
	game := u.p.game
	valid := cfg.Duration + 30*time.Second
	switch uk.kind {
	case Expired:
		if cfg.Key == nil {
			return nil
		}
		for range 16 {
			b, err := u.mint(now.Add(-cfg.Duration-2*time.Minute), game, time.Minute, uk.clientID())
			if err != nil {
				return err
			}
			uk.pool = append(uk.pool, b)
		}
	case Replayed:
		for range 8 {
			b, err := u.mint(now, game, valid, uk.clientID())
			if err != nil {
				return err
			}
			uk.pool = append(uk.pool, b)
		}
	case WrongAddr:
		other := netip.AddrPortFrom(game.Addr(), game.Port()^1)
		for range 8 {
			b, err := u.mint(now, other, valid, uk.clientID())
			if err != nil {
				return err
			}
			uk.pool = append(uk.pool, b)
		}
	case Tampered, Replay:
		if cfg.Key == nil {
			return errors.New("no key: session-less packets from unknown addresses")
		}
		return u.dialSession(ctx, uk)
	}
	return nil
}

// dialSession connects one real client from the kind's first socket and captures its packets.
func (u *udpAttack) dialSession(ctx context.Context, uk *udpKind) error {
	cfg := u.p.cfg
	id := uk.clientID()
	var ud [secure.UserDataBytes]byte
	if cfg.UserData != nil {
		ud = cfg.UserData(id)
	}
	b, err := secure.GenerateConnectToken(*cfg.Key, secure.TokenParams{
		ProtocolID: cfg.ProtocolID, ClientID: id, ServerAddrs: []netip.AddrPort{u.p.game},
		ExpireAfter: cfg.Duration + 30*time.Second, Now: cfg.Now(), UserData: ud,
	})
	if err != nil {
		return fmt.Errorf("session token: %w", err)
	}
	s := &session{src: uk.srcs[0]}
	dctx, cancel := context.WithTimeout(ctx, sessionDialTimeout)
	defer cancel()
	c, err := secure.Dial(dctx, &recConn{UDPConn: s.src.conn, s: s, c: uk.c}, b, secure.ClientConfig{Now: cfg.Now})
	if err != nil {
		// Dial closed the socket: replace it so the kind still has its sources.
		conn, lerr := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(u.p.srcIPs[0], 0)))
		if lerr == nil {
			uk.srcs[0] = &source{conn: conn}
		} else {
			uk.srcs = uk.srcs[1:]
		}
		return fmt.Errorf("session: %w (sending session-less packets)", err)
	}
	s.client = c
	uk.sess = s
	for i := range 16 {
		p := make([]byte, 1+i*13)
		uk.rng.Read(p)
		_ = c.Send(p)
	}
	s.mu.Lock()
	uk.pool = append(uk.pool, s.caught...)
	s.mu.Unlock()
	if len(uk.pool) == 0 {
		return errors.New("session: no packets captured")
	}
	return nil
}

// next builds the kind's i-th packet into buf and picks its source.
func (u *udpAttack) next(uk *udpKind, buf []byte, i uint64) ([]byte, *source) {
	rng := uk.rng
	src := uk.srcs[i%uint64(len(uk.srcs))]
	now := u.p.cfg.Now()
	random := func(b []byte) []byte { rng.Read(b); return b }
	forged := func(expire uint64) []byte {
		b := appendRequest(buf[:0], u.p.cfg.ProtocolID, expire, make([]byte, 0), nil)
		b = b[:secure.RequestPacketBytes]
		random(b[len(b)-secure.TokenNonceBytes-secure.PrivateTokenBytes:])
		return b
	}
	switch uk.kind {
	case Junk:
		b := random(buf[:1+rng.Uint64()%1500])
		if b[0]&0x0f == 0 && len(b) == secure.RequestPacketBytes {
			b[0] = 0xff
		}
		return b, src
	case Forged:
		return forged(uint64(now.Add(30 * time.Second).Unix())), src
	case Expired:
		if len(uk.pool) > 0 {
			return append(buf[:0], uk.pool[i%uint64(len(uk.pool))]...), src
		}
		return forged(uint64(now.Unix()) - 1 - rng.Uint64()%3600), src
	case Replayed:
		// Token i mod n from source i/n: every token is presented from every source.
		n := uint64(len(uk.pool))
		return append(buf[:0], uk.pool[i%n]...), uk.srcs[(i/n)%uint64(len(uk.srcs))]
	case WrongAddr:
		return append(buf[:0], uk.pool[i%uint64(len(uk.pool))]...), src
	case Tampered, Replay:
		if uk.sess != nil && len(uk.pool) > 0 {
			orig := uk.pool[i%uint64(len(uk.pool))]
			if uk.kind == Replay {
				return append(buf[:0], orig...), uk.sess.src
			}
			// Tampered: a fresh, never-seen sequence (so the replay window lets it through to
			// the AEAD) and one flipped bit in the sealed data: the header parses, the AEAD fails.
			osb := int(orig[0] >> 4)
			seq := uint64(1)<<40 + i
			sb := (bits.Len64(seq) + 7) / 8
			b := append(buf[:0], byte(sb)<<4|orig[0]&0x0f)
			for k := range sb {
				b = append(b, byte(seq>>(8*k)))
			}
			body := len(b)
			b = append(b, orig[1+osb:]...)
			j := body + int(rng.Uint64()%uint64(len(b)-body))
			b[j] ^= 1 << (rng.Uint64() % 8)
			return b, uk.sess.src
		}
		// Session-less: payload (tampered) or keep-alive (replay) shaped packets.
		seq := rng.Uint64() >> (rng.Uint64() % 64)
		sb := max((bits.Len64(seq)+7)/8, 1)
		body := 8
		typ := byte(4)
		if uk.kind == Tampered {
			typ = 5
			body = 1 + int(rng.Uint64()%secure.MaxPayloadBytes)
		}
		b := buf[:1+sb+body+16]
		b[0] = byte(sb)<<4 | typ
		for k := range sb {
			b[1+k] = byte(seq >> (8 * k))
		}
		random(b[1+sb:])
		return b, src
	}
	return nil, src
}

func (u *udpAttack) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, uk := range u.kinds {
		wg.Go(func() { u.send(ctx, uk) })
	}
	wg.Wait()
}

// send paces one kind at its rate until its count, the deadline or ctx.
func (u *udpAttack) send(ctx context.Context, uk *udpKind) {
	if len(uk.srcs) == 0 || ((uk.kind == Replayed || uk.kind == WrongAddr) && len(uk.pool) == 0) {
		return
	}
	buf := make([]byte, 2048)
	game := u.p.game
	start := time.Now()
	tk := time.NewTicker(pacingStep)
	defer tk.Stop()
	burst := uint64(max(uk.rate*maxCatchUp.Seconds(), 1))
	var sent uint64
	for sent < uk.count {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		due := min(uint64(time.Since(start).Seconds()*uk.rate), uk.count)
		for n := uint64(0); sent < due && n < burst; n++ {
			b, src := u.next(uk, buf, sent)
			sent++
			m, err := src.conn.WriteToUDPAddrPort(b, game)
			uk.c.sent.Add(1)
			if err != nil {
				uk.c.errors.Add(1)
				continue
			}
			src.out.Add(uint64(m))
			uk.c.bytesOut.Add(uint64(m))
		}
	}
}

// amplification counts sources that got more bytes than they sent, and the largest intake.
func (u *udpAttack) amplification() (amplified int, maxIn uint64) {
	for _, uk := range u.kinds {
		for _, s := range uk.srcs {
			in, out := s.in.Load(), s.out.Load()
			if in > out {
				amplified++
			}
			maxIn = max(maxIn, in)
		}
	}
	return amplified, maxIn
}

// close closes the sessions and sockets and waits for the readers; safe twice.
func (u *udpAttack) close() {
	u.once.Do(func() {
		for _, uk := range u.kinds {
			if uk.sess != nil && uk.sess.client != nil {
				uk.sess.client.Close()
			}
			for _, s := range uk.srcs {
				if uk.sess == nil || s != uk.sess.src {
					s.conn.Close()
				}
			}
		}
		u.readers.Wait()
	})
}
