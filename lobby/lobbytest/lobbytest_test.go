package lobbytest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// A registered fake server's modes are listed while it heartbeats; a second game claiming one
// of them is refused with the lobby's error; stopping the registration withdraws its modes.
func TestRegisterServer(t *testing.T) {
	key := [32]byte{3}
	_, addr := StartLobby(t, lobby.Config{Key: key, HeartbeatTimeout: time.Second, SweepInterval: 50 * time.Millisecond})
	race := proto.ModeInfo{Name: "race", Title: "Race", MinPlayers: 1, MaxPlayers: 4}
	stop, err := Register(addr, key, Server{Game: "racer", Modes: []proto.ModeInfo{race}})
	require.NoError(t, err)

	_, err = Register(addr, key, Server{Name: "gs-other", Game: "other", Modes: []proto.ModeInfo{race}})
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeModeConflict})
	_, err = Register(addr, [32]byte{4}, Server{Name: "gs-wrong-key", Game: "racer", Modes: []proto.ModeInfo{race}})
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeAuthFailed})

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Hello(ctx, "ada")
	require.NoError(t, err)
	// The heartbeats keep it live past HeartbeatTimeout.
	require.Never(t, func() bool {
		modes, err := c.Modes(ctx)
		return err != nil || len(modes) != 1
	}, 1500*time.Millisecond, 100*time.Millisecond)

	stop()
	require.Eventually(t, func() bool {
		modes, err := c.Modes(ctx)
		return err == nil && len(modes) == 0
	}, waitFor, 20*time.Millisecond)
}
