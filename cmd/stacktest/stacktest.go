package stacktest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena/arenahost"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/tokens"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// DefaultCapacity is the game server's capacity (and the capacity it registers) when
// Options.Capacity is zero.
const DefaultCapacity = 64

// registerTimeout bounds the wait for the game server's registration with the lobby.
const registerTimeout = 10 * time.Second

// Options are what the tests vary about the stack; the zero value is a UDP (netcode.io)
// Arena game server of capacity 64 whose only mode is quick match "ffa" for 2 to 4 players
// with a 500 ms fill timeout.
type Options struct {
	// Game is the game the server hosts; zero: Arena with Modes.
	Game gameserver.GameDef
	// Modes replaces Arena's modes when Game is zero (each must be one of arena.Modes' names,
	// whose rules the factory plays); nil means DefaultModes().
	Modes []gameserver.ModeSpec
	// TokenTimeout is the connection timeout in seconds written into the lobby's connect
	// tokens; 0 means the secure package's default.
	TokenTimeout int32
	// Capacity is the game server's capacity, also registered with the lobby; 0 means
	// DefaultCapacity.
	Capacity int
	// Transport is the game port's protocol, also registered with the lobby:
	// gameserver.TransportKCP, or "" for UDP (netcode.io).
	Transport string
}

// DefaultModes is the game server's modes when Options.Modes and Options.Game are zero:
// quick match "ffa" for 2 to 4 players, filled after 500 ms.
func DefaultModes() []gameserver.ModeSpec {
	return []gameserver.ModeSpec{{Name: "ffa", Title: "Free for all", MinPlayers: 2, MaxPlayers: 4, FillTimeout: 500 * time.Millisecond}}
}

// def is the GameDef o asks for.
func (o Options) def() gameserver.GameDef {
	if o.Game.Name != "" {
		return o.Game
	}
	d := arenahost.Def(60)
	d.Modes = o.Modes
	if d.Modes == nil {
		d.Modes = DefaultModes()
	}
	return d
}

// Stack is a running lobby and game server.
type Stack struct {
	LobbyAddr string             // the lobby's TCP address, host:port
	GameAddr  netip.AddrPort     // the game server's UDP address (the one its tokens name)
	Lobby     *lobby.Server      // the running lobby
	Game      *gameserver.Server // the running game server (its Handler serves /metrics)
	Key       secure.Key         // shared by the lobby's tokens and the game server
}

// StartStack starts a lobby and one game server (Arena unless o.Game says) registered with it
// through lobbylink, all on loopback, and returns once the registration is done (failing t after 10 s). Both
// are stopped in t.Cleanup: the link first, then the game server (whose Close must succeed,
// twice), then the lobby (whose Serve must return lobby.ErrServerClosed).
func StartStack(t testing.TB, o Options) Stack {
	t.Helper()
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)

	lb := lobby.New(lobby.Config{
		Key: key, SealToken: tokens.Sealer(key, tokens.ProtocolID, 0, o.TokenTimeout), Logger: quiet,
		MatchInterval: 50 * time.Millisecond,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lobbyDone := make(chan error, 1)
	go func() { lobbyDone <- lb.Serve(ln) }()

	t.Cleanup(func() { // registered first, so it runs after every game server's cleanup
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lb.Shutdown(ctx)
		if err := <-lobbyDone; !errors.Is(err, lobby.ErrServerClosed) {
			t.Errorf("lobby serve: %v", err)
		}
	})
	gs, public := startGameServer(t, ln.Addr().String(), key, "gs-test", o)
	return Stack{LobbyAddr: ln.Addr().String(), GameAddr: public, Lobby: lb, Game: gs, Key: key}
}

// AddGameServer starts another game server, named name, as o says (its TokenTimeout is
// ignored: tokens are the lobby's) and registers it with st's lobby; it returns once the
// registration is done. It is stopped in t.Cleanup, before the lobby.
func (st Stack) AddGameServer(t testing.TB, name string, o Options) (*gameserver.Server, netip.AddrPort) {
	t.Helper()
	return startGameServer(t, st.LobbyAddr, st.Key, name, o)
}

// startGameServer starts a game server as o says and registers it with the lobby at lobbyAddr.
func startGameServer(t testing.TB, lobbyAddr string, key secure.Key, name string, o Options) (*gameserver.Server, netip.AddrPort) {
	t.Helper()
	if o.Capacity == 0 {
		o.Capacity = DefaultCapacity
	}
	quiet := slog.New(slog.DiscardHandler)
	def := o.def()
	// udp4: the hostile-traffic tests send to it from other loopback addresses (127.0.0.2…).
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	public := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	gs, err := gameserver.New(pc, gameserver.Config{Def: def, Key: key, PublicAddr: public,
		Logger: quiet, Capacity: o.Capacity, Transport: o.Transport})
	require.NoError(t, err)
	gsDone := make(chan error, 1)
	go func() { gsDone <- gs.Serve() }()

	registered := make(chan struct{})
	var once sync.Once
	game, modes := lobbylink.Modes(def)
	link := lobbylink.New(lobbylink.Config{Lobbies: []string{lobbyAddr}, Key: key, Name: name,
		Game: game, Modes: modes, Addr: public.String(), Transport: o.Transport, Capacity: o.Capacity, Logger: quiet,
		OnRegistered: func(string) { once.Do(func() { close(registered) }) }})
	linkCtx, stopLink := context.WithCancel(context.Background())
	linkDone := make(chan struct{})
	go func() {
		defer close(linkDone)
		link.Run(linkCtx)
	}()
	t.Cleanup(func() {
		stopLink()
		link.Close()
		<-linkDone
		assert.NoError(t, gs.Close())
		assert.NoError(t, gs.Close(), "second Close")
		<-gsDone
	})
	select {
	case <-registered:
	case <-time.After(registerTimeout):
		t.Fatal("game server did not register with the lobby")
	}
	return gs, public
}
