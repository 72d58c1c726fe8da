package client

import (
	"context"
	"fmt"
	"slices"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// noModes is what a player reads when the lobby lists no mode.
const noModes = "the lobby offers no game mode (no game server is registered)"

// orderModes puts the preferred modes (that the lobby lists) first, in their order, then the
// rest of the lobby's list in its order.
func orderModes(listed []proto.ModeInfo, preferred []string) []proto.ModeInfo {
	out := make([]proto.ModeInfo, 0, len(listed))
	for _, p := range preferred {
		if i := slices.IndexFunc(listed, func(m proto.ModeInfo) bool { return m.Name == p }); i >= 0 &&
			!slices.ContainsFunc(out, func(m proto.ModeInfo) bool { return m.Name == p }) {
			out = append(out, listed[i])
		}
	}
	for _, m := range listed {
		if !slices.ContainsFunc(out, func(o proto.ModeInfo) bool { return o.Name == m.Name }) {
			out = append(out, m)
		}
	}
	return out
}

// refreshModes asks the lobby which modes its game servers offer and shows them.
func (s *Session) refreshModes(ctx context.Context, lc *lobbyclient.Client) {
	listed, err := lc.Modes(ctx)
	if err != nil {
		s.log.Info("client: modes", "err", err)
		s.status("Cannot list the modes: "+PlayerText(err, "the lobby"), true)
		return
	}
	modes := orderModes(listed, s.cfg.Modes)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.view.ModeInfo = modes
	s.view.Modes = s.view.Modes[:0]
	for _, m := range modes {
		s.view.Modes = append(s.view.Modes, m.Name)
	}
}

// defaultMode is the first mode offered, or "" when the lobby lists none.
func (s *Session) defaultMode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.view.Modes) == 0 {
		return ""
	}
	return s.view.Modes[0]
}

// ModeLabel is how a screen shows the i-th mode offered: its title and player counts, as the
// lobby lists them ("Free for all · 2–16", "Duel · 2 · teams").
func (v *LobbyView) ModeLabel(i int) string {
	if i < 0 || i >= len(v.Modes) {
		return ""
	}
	if i >= len(v.ModeInfo) || v.ModeInfo[i].Name != v.Modes[i] {
		return v.Modes[i]
	}
	return ModeLabel(v.ModeInfo[i])
}

// ModeLabel is a mode's title and player counts: "Free for all · 2–16", "Duel · 2 · teams".
func ModeLabel(m proto.ModeInfo) string {
	title := m.Title
	if title == "" {
		title = m.Name
	}
	label := fmt.Sprintf("%s · %d–%d", title, m.MinPlayers, m.MaxPlayers)
	if m.MinPlayers == m.MaxPlayers {
		label = fmt.Sprintf("%s · %d", title, m.MaxPlayers)
	}
	if m.Teams > 0 {
		label += " · teams"
	}
	return label
}

// ModeTitle is the title the lobby lists for mode ("Free for all" for "ffa"), or "" when modes
// does not list it or lists it without a title.
func ModeTitle(modes []proto.ModeInfo, mode string) string {
	for _, m := range modes {
		if m.Name == mode {
			return m.Title
		}
	}
	return ""
}

// ArenaModes lists Arena's modes as a lobby with an Arena game server lists them, for the
// front ends that play Arena without a lobby (the offline demo, replays).
func ArenaModes() []proto.ModeInfo {
	var out []proto.ModeInfo
	for _, m := range arena.Modes() {
		out = append(out, proto.ModeInfo{Name: m.Name, Title: m.Title, Game: "arena", MinPlayers: m.MinPlayers,
			MaxPlayers: m.MaxPlayers, Teams: m.Teams, FillMS: m.FillTimeout.Milliseconds()})
	}
	return out
}
