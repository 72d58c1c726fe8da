package lobbytest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// waitFor bounds every wait on the lobby.
const waitFor = 10 * time.Second

// StartLobby serves a lobby with cfg (a quiet logger unless cfg has one) on a loopback port
// and returns it and its address; it is closed in t.Cleanup (after servers registered later).
func StartLobby(t testing.TB, cfg lobby.Config) (*lobby.Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv := lobby.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, lobby.ErrServerClosed) {
			t.Errorf("lobby serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

// Server is a registration: what a game server tells the lobby about itself.
type Server struct {
	Name     string // default "gs-fake"
	Region   string
	Addr     string // the game address tokens name; default 127.0.0.1:7001
	Capacity int    // default 64
	Game     string // required
	Modes    []proto.ModeInfo
}

// RegisterServer registers s with the lobby at addr under key and heartbeats every 250 ms
// until the test ends; it returns once the lobby welcomed it, or fails t with the lobby's
// refusal (so a test can check a bad registration with a *proto.Error from Register).
func RegisterServer(t testing.TB, addr string, key [32]byte, s Server) {
	t.Helper()
	stop, err := Register(addr, key, s)
	require.NoError(t, err)
	t.Cleanup(stop)
}

// Register is RegisterServer without a test: it returns a function that ends the
// registration (closes the connection and waits for the heartbeats to stop), or the lobby's
// refusal as a *proto.Error.
func Register(addr string, key [32]byte, s Server) (stop func(), err error) {
	if s.Name == "" {
		s.Name = "gs-fake"
	}
	if s.Addr == "" {
		s.Addr = "127.0.0.1:7001"
	}
	if s.Capacity == 0 {
		s.Capacity = 64
	}
	nc, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(time.Now().Add(waitFor)); err != nil {
		nc.Close()
		return nil, err
	}
	lr := proto.NewLineReader(nc, 0)
	send := func(m *proto.Message) error {
		b, err := proto.Append(nil, m)
		if err != nil {
			return err
		}
		_, err = nc.Write(b)
		return err
	}
	recv := func() (proto.Message, error) {
		line, err := lr.ReadLine()
		if err != nil {
			return proto.Message{}, err
		}
		return proto.Decode(line)
	}
	fail := func(err error) (func(), error) {
		nc.Close()
		return nil, err
	}
	if err := send(&proto.Message{Type: proto.TypeHello, ID: 1, Version: proto.ProtocolVersion, Role: proto.RoleServer}); err != nil {
		return fail(err)
	}
	ch, err := recv()
	if err != nil {
		return fail(err)
	}
	if ch.Type != proto.TypeChallenge {
		return fail(&proto.Error{Code: ch.Code, Message: ch.Message})
	}
	auth := &proto.Message{Type: proto.TypeAuth, ID: 2, Name: s.Name, Region: s.Region, Addr: s.Addr, Transport: "udp",
		Capacity: s.Capacity, Game: s.Game, Modes: s.Modes}
	auth.MAC = proto.ServerMAC(key, ch.Nonce, auth)
	if err := send(auth); err != nil {
		return fail(err)
	}
	w, err := recv()
	if err != nil {
		return fail(err)
	}
	if w.Type != proto.TypeWelcome {
		if w.Type == proto.TypeError {
			return fail(&proto.Error{Code: w.Code, Message: w.Message})
		}
		return fail(fmt.Errorf("lobbytest: register: got %s", w.Type))
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, read := make(chan struct{}), make(chan struct{})
	// Drain what the lobby sends (result acks, pongs) so it never blocks on us; on its
	// shutdown or end of stream, hang up as a game server does.
	go func() {
		defer close(read)
		defer cancel()
		defer nc.Close()
		for {
			line, err := lr.ReadLine()
			if err != nil {
				return
			}
			if m, err := proto.Decode(line); err == nil && m.Type == proto.TypeShutdown {
				return
			}
		}
	}()
	go func() {
		defer close(done)
		tk := time.NewTicker(250 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				_ = nc.SetWriteDeadline(time.Now().Add(waitFor))
				if send(&proto.Message{Type: proto.TypeHeartbeat, Capacity: s.Capacity}) != nil {
					return
				}
			}
		}
	}()
	return func() {
		cancel()
		nc.Close()
		<-done
		<-read
	}, nil
}
