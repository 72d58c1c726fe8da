package client

import (
	"context"
	"fmt"
	"net"

	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// DialConfig configures [DialGame]. The zero value is the default.
type DialConfig struct {
	Conn ConnConfig
	// Impair, if non-nil, wraps the client's UDP socket in a simulated link (package netsim):
	// loss, latency, jitter, duplication and reordering on the client's side.
	Impair *netsim.Config
	// LocalAddr is the UDP address to bind; default "127.0.0.1:0" when the server is on
	// loopback, ":0" otherwise is the caller's choice.
	LocalAddr string
	// ListenPacket opens the socket; default net.ListenPacket("udp", LocalAddr). Tests pass an
	// in-memory network's Listen.
	ListenPacket func(addr string) (net.PacketConn, error)
	// Secure configures the connection layer.
	Secure secure.ClientConfig
	// Transport is the game server's transport, from match_found: "udp" ("" too) or "kcp".
	// Force, if set, is the transport the user asked for: DialGame fails with
	// ErrTransportMismatch when the server runs another. KCP configures the KCP transport
	// (its FEC must match the server's).
	Transport, Force string
	KCP              kcp.ClientConfig
}

// DialGame connects to the game server named by a connect token (from the lobby's
// match_found) and returns the game connection, with the socket's bytes counted in its
// [Stats]. Drive it with [Conn.Run].
func DialGame(ctx context.Context, token []byte, cfg DialConfig) (*Conn, error) {
	transport, err := pickTransport(cfg.Transport, cfg.Force)
	if err != nil {
		return nil, err
	}
	addr := cfg.LocalAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	listen := cfg.ListenPacket
	if listen == nil {
		listen = func(a string) (net.PacketConn, error) { return net.ListenPacket("udp", a) }
	}
	pc, err := listen(addr)
	if err != nil {
		return nil, fmt.Errorf("client: dial game: %w", err)
	}
	if cfg.Impair != nil {
		pc = netsim.Wrap(pc, *cfg.Impair)
	}
	wc := cfg.Conn.Wire
	if wc == nil {
		wc = new(WireCounter)
	}
	pc = CountingConn(pc, wc)
	var tr Transport
	if transport == TransportKCP {
		tr, err = dialKCP(ctx, pc, token, cfg.KCP)
	} else {
		tr, err = secure.Dial(ctx, pc, token, cfg.Secure)
	}
	if err != nil {
		return nil, fmt.Errorf("client: dial game (%s): %w", transport, err)
	}
	cc := cfg.Conn
	cc.Wire = wc
	return NewConn(tr, cc), nil
}
