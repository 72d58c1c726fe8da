// Package floor is Skirmish's bare-socket yardstick: what a server on this machine must spend
// just to move the datagrams a match moves, with no game, no crypto and no acknowledgements.
// The server has one UDP socket, reads with recvmmsg and writes with sendmmsg (x/net's
// ReadBatch and WriteBatch), and every 1/Rate s sends each client it has heard from one
// datagram of Size bytes; the clients each send Up datagrams a second and count what arrives.
//
// cmd/floor runs either side as a process; go run ./cmd/bots -compare-peer runs the server as
// a process (so its CPU can be read from /proc) and the clients in its own process, beside the
// game server and the Colyseus peer. It mirrors the shared yardstick in ../shared/peers/floor,
// which the project does not depend on.
package floor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// Defaults of ServerConfig and ClientsConfig.
const (
	DefaultSize = 60 // bytes of each server datagram
	DefaultRate = 30 // server datagrams per second to each client
	DefaultUp   = 30 // client datagrams per second
	upSize      = 40 // bytes of each client datagram
	batch       = 64 // datagrams per recvmmsg / sendmmsg
	maxPeers    = 4096
)

// ServerConfig configures Serve. Zero fields take the defaults.
type ServerConfig struct {
	Size int // default DefaultSize
	Rate int // default DefaultRate
}

// Serve runs the floor server on conn until ctx ends, then closes conn and returns nil (or
// the error that stopped the reader). It remembers at most 4096 clients.
func Serve(ctx context.Context, conn *net.UDPConn, cfg ServerConfig) error {
	if cfg.Size <= 0 {
		cfg.Size = DefaultSize
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	pc := ipv4.NewPacketConn(conn)
	var mu sync.Mutex
	peers := make(map[netip.AddrPort]*net.UDPAddr)
	readErr := make(chan error, 1)
	go func() {
		msgs := make([]ipv4.Message, batch)
		for i := range msgs {
			msgs[i].Buffers = [][]byte{make([]byte, 1500)}
		}
		for {
			k, err := pc.ReadBatch(msgs, 0)
			if err != nil {
				readErr <- err
				return
			}
			mu.Lock()
			for i := range k {
				if ua, ok := msgs[i].Addr.(*net.UDPAddr); ok && len(peers) < maxPeers {
					if ap := ua.AddrPort(); peers[ap] == nil {
						peers[ap] = ua
					}
				}
			}
			mu.Unlock()
		}
	}()
	payload := make([]byte, cfg.Size)
	t := time.NewTicker(time.Second / time.Duration(cfg.Rate))
	defer t.Stop()
	var out []ipv4.Message
	for {
		select {
		case <-ctx.Done():
			conn.Close()
			<-readErr
			return nil
		case err := <-readErr:
			conn.Close()
			return fmt.Errorf("floor: read: %w", err)
		case <-t.C:
		}
		out = out[:0]
		mu.Lock()
		for _, ua := range peers {
			out = append(out, ipv4.Message{Buffers: [][]byte{payload}, Addr: ua})
		}
		mu.Unlock()
		for len(out) > 0 {
			k, err := pc.WriteBatch(out[:min(len(out), batch)], 0)
			if err != nil || k <= 0 {
				k = 1 // a refused datagram is lost
			}
			out = out[k:]
		}
	}
}

// ClientsConfig configures RunClients. Zero fields take the defaults.
type ClientsConfig struct {
	Addr     string        // the floor server's UDP address
	N        int           // clients; default 1
	Up       float64       // datagrams each client sends per second; default DefaultUp
	Duration time.Duration // how long they send; default 10 s
}

// ClientsResult is what the clients measured.
type ClientsResult struct {
	Clients           int     `json:"clients"`
	UpPerS            float64 `json:"up_per_s"`
	DownDatagramsPerS float64 `json:"down_datagrams_per_s"` // per client
	DownBytesPerS     float64 `json:"down_bytes_per_s"`     // per client, UDP payload
}

// RunClients runs the clients for the duration (or until ctx ends) and reports what each
// received per second, on average.
func RunClients(ctx context.Context, cfg ClientsConfig) (ClientsResult, error) {
	if cfg.N <= 0 {
		cfg.N = 1
	}
	if cfg.Up <= 0 {
		cfg.Up = DefaultUp
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	sa, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return ClientsResult{}, fmt.Errorf("floor: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var datagrams, bytes atomic.Int64
	var wg sync.WaitGroup
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.N {
		c, err := net.DialUDP("udp", nil, sa)
		if err != nil {
			cancel()
			wg.Wait()
			return ClientsResult{}, fmt.Errorf("floor: %w", err)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	for _, c := range conns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			b := make([]byte, 1500)
			for {
				n, err := c.Read(b)
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue // an ICMP error before the server is up, say
				}
				datagrams.Add(1)
				bytes.Add(int64(n))
			}
		}()
		go func() {
			defer wg.Done()
			b := make([]byte, upSize)
			_, _ = c.Write(b) // at once, so the server knows the client even at a low Up
			t := time.NewTicker(time.Duration(float64(time.Second) / cfg.Up))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_, _ = c.Write(b)
				}
			}
		}()
	}
	<-ctx.Done()
	elapsed := time.Since(start).Seconds()
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	wg.Wait()
	per := float64(cfg.N) * elapsed
	return ClientsResult{Clients: cfg.N, UpPerS: cfg.Up,
		DownDatagramsPerS: float64(datagrams.Load()) / per, DownBytesPerS: float64(bytes.Load()) / per}, nil
}
