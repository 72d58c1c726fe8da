package flood

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{
		"10.0.0.1:7001", "8.8.8.8:53", "[2001:db8::1]:7001", "[::ffff:8.8.8.8]:1", "example.com:7001",
		"0.0.0.0:7001", "[::]:7001", "[fe80::1%lo]:7001", "localhost.evil.com:1",
	} {
		_, err := Run(context.Background(), Config{Game: addr, Duration: time.Second})
		assert.ErrorIs(t, err, ErrNotLoopback, "game %s", addr)
		_, err = Run(context.Background(), Config{Lobby: addr, Duration: time.Second})
		assert.ErrorIs(t, err, ErrNotLoopback, "lobby %s", addr)
	}
	_, err := Run(context.Background(), Config{Game: "127.0.0.1:9", SourceIPs: []netip.Addr{netip.MustParseAddr("192.168.1.1")}})
	assert.ErrorIs(t, err, ErrNotLoopback, "source address")
	for _, addr := range []string{"127.0.0.1:7001", "127.9.8.7:1", "[::1]:7001", "localhost:7001", "[::ffff:127.0.0.1]:5"} {
		_, err := CheckLoopback(addr)
		assert.NoError(t, err, addr)
	}
	_, err = CheckLoopback("127.0.0.1:0")
	assert.Error(t, err)
}

func TestParseKinds(t *testing.T) {
	ks, err := ParseKinds("junk, forged,junk")
	require.NoError(t, err)
	assert.Equal(t, []Kind{Junk, Forged}, ks)
	ks, err = ParseKinds("udp,tcp")
	require.NoError(t, err)
	assert.Len(t, ks, len(UDPKinds)+len(TCPKinds))
	_, err = ParseKinds("junk,nuke")
	assert.ErrorIs(t, err, ErrBadConfig)
	_, err = Run(context.Background(), Config{Lobby: "127.0.0.1:9", Kinds: []Kind{Junk}})
	assert.ErrorIs(t, err, ErrBadConfig, "a UDP kind without -game")
	_, err = Run(context.Background(), Config{Game: "127.0.0.1:9", Kinds: []Kind{Replayed}})
	assert.ErrorIs(t, err, ErrBadConfig, "replayed without the key")
}

// udpSink counts and keeps the packets sent to it.
type udpSink struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  [][]byte
	done chan struct{}
}

func newUDPSink(t *testing.T) *udpSink {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	s := &udpSink{conn: c, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 2048)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, append([]byte(nil), buf[:n]...))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-s.done })
	return s
}

func (s *udpSink) addr() string { return s.conn.LocalAddr().String() }

func TestUDPBoundedAndWellFormed(t *testing.T) {
	sink := newUDPSink(t)
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	start := time.Now()
	sum, err := Run(context.Background(), Config{
		Game: sink.addr(), Key: &key, Rate: 5000, Count: 700, Duration: 3 * time.Second, Sources: 2,
		Kinds: []Kind{Junk, Forged, Expired, Replayed, WrongAddr, Tampered, Replay}, Seed: 1,
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2500*time.Millisecond, "a 1 s session dial, then 700 packets at 5000/s")
	assert.Equal(t, uint64(700), sum.udpSent())
	for _, k := range UDPKinds {
		assert.Equal(t, uint64(100), sum.Kinds[k].Sent, k)
	}
	// Tampered and replay could not make a session (the sink does not answer).
	assert.NotEmpty(t, sum.Kinds[Tampered].Note)
	pub := netip.MustParseAddrPort(sink.addr())
	now := uint64(time.Now().Unix())
	var requests, opened, ours, expired int
	sink.mu.Lock()
	defer sink.mu.Unlock()
	assert.LessOrEqual(t, len(sink.got), 700+2*12, "700 and the two sessions' handshake attempts (10 Hz for 1 s)")
	for _, p := range sink.got {
		if len(p) != secure.RequestPacketBytes || p[0] != 0 || string(p[1:14]) != secure.VersionInfo {
			continue
		}
		requests++
		assert.Equal(t, ProtocolID, binary.LittleEndian.Uint64(p[14:]))
		exp := binary.LittleEndian.Uint64(p[22:])
		if exp <= now {
			expired++
		}
		pt, err := secure.OpenConnectToken(key, ProtocolID, exp, p[30:54], p[54:])
		if err != nil {
			continue
		}
		opened++
		if len(pt.ServerAddrs) == 1 && pt.ServerAddrs[0] == pub {
			ours++
		}
	}
	t.Logf("%d packets received: %d requests, %d open with the key, %d name the target, %d expired", len(sink.got), requests, opened, ours, expired)
	assert.Positive(t, requests)
	assert.Positive(t, ours, "replayed tokens name the target")
	assert.Greater(t, opened, ours, "wrongaddr tokens name another address")
	assert.Positive(t, expired)
}

func TestCancelStopsRun(t *testing.T) {
	sink := newUDPSink(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		tm := time.NewTimer(200 * time.Millisecond)
		defer tm.Stop()
		<-tm.C
		cancel()
	}()
	start := time.Now()
	_, err := Run(ctx, Config{Game: sink.addr(), Rate: 1000, Duration: time.Minute, Kinds: []Kind{Junk}})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestTCPKindsSeeCloses runs every lobby kind against a server that answers each connection
// with one error line and closes it after 100 ms.
func TestTCPKindsSeeCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	defer func() { ln.Close(); wg.Wait() }()
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				go func() { // read and discard what the client sends
					r := bufio.NewReader(c)
					for {
						if _, err := r.Discard(4096); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
							return
						}
					}
				}()
				tm := time.NewTimer(100 * time.Millisecond)
				defer tm.Stop()
				<-tm.C
				c.Write([]byte(`{"type":"pong","id":1}` + "\n" + `{"type":"error","code":"hello_first","message":"say hello"}` + "\n"))
			})
		}
	})
	sum, err := Run(context.Background(), Config{Lobby: ln.Addr().String(), Conns: 12, Duration: 3 * time.Second, Kinds: TCPKinds})
	require.NoError(t, err)
	assert.Less(t, sum.Seconds, 2.5, "all connections closed by the server well before the deadline")
	for _, k := range TCPKinds {
		ks := sum.Kinds[k]
		assert.Equal(t, uint64(2), ks.Conns, k)
		assert.Equal(t, uint64(2), ks.Closed, k)
		assert.Equal(t, uint64(2), ks.ClosedWithCode, k)
		assert.Equal(t, uint64(2), ks.Codes["hello_first"], k)
		assert.Equal(t, uint64(4), ks.Replies, k)
	}
}
