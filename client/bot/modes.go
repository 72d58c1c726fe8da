package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// ErrUnknownMode is returned by CheckMode for a mode the lobby does not list.
var ErrUnknownMode = errors.New("bot: mode not offered by the lobby")

// checkTimeout bounds CheckMode's connection to the lobby.
const checkTimeout = 10 * time.Second

// CheckMode asks the lobby at addr which modes its live game servers offer and returns the
// named one, or an error wrapping ErrUnknownMode that lists what the lobby offers (with each
// mode's title and player counts), so a mistyped -mode fails at once instead of waiting in a
// queue no server serves.
func CheckMode(ctx context.Context, addr, mode string) (proto.ModeInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	if err != nil {
		return proto.ModeInfo{}, fmt.Errorf("bot: lobby %s: %w", addr, err)
	}
	defer c.Close()
	if _, err := c.Hello(ctx, fmt.Sprintf("modes%06d", rand.IntN(1_000_000))); err != nil {
		return proto.ModeInfo{}, fmt.Errorf("bot: lobby %s: hello: %w", addr, err)
	}
	modes, err := c.Modes(ctx)
	if err != nil {
		return proto.ModeInfo{}, fmt.Errorf("bot: lobby %s: modes: %w", addr, err)
	}
	var offered []string
	for _, m := range modes {
		if m.Name == mode {
			return m, nil
		}
		offered = append(offered, DescribeMode(m))
	}
	if len(offered) == 0 {
		return proto.ModeInfo{}, fmt.Errorf("%w: %q (no game server is registered with %s)", ErrUnknownMode, mode, addr)
	}
	return proto.ModeInfo{}, fmt.Errorf("%w: %q; it offers %s", ErrUnknownMode, mode, strings.Join(offered, ", "))
}

// DescribeMode is a mode as a person reads it: `ffa (Free for all, arena, 2-16 players)`.
func DescribeMode(m proto.ModeInfo) string {
	players := fmt.Sprintf("%d-%d players", m.MinPlayers, m.MaxPlayers)
	if m.MinPlayers == m.MaxPlayers {
		players = fmt.Sprintf("%d players", m.MaxPlayers)
	}
	if m.Teams > 0 {
		players += fmt.Sprintf(", %d teams", m.Teams)
	}
	title := m.Title
	if title == "" {
		title = m.Name
	}
	return fmt.Sprintf("%s (%s, %s, %s)", m.Name, title, m.Game, players)
}
