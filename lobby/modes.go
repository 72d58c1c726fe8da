package lobby

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Mode is one way to play, as a live game server offers it: the lobby keeps no mode table of
// its own. Game servers announce their game and modes when they register; the lobby queues,
// lists and matches the modes some live server offers, with the operator's ModeLimits applied.
type Mode struct {
	Name        string
	Title       string
	Game        string // the game whose mode it is; set from the registration
	MinPlayers  int
	MaxPlayers  int
	Teams       int           // 0: free for all (every player its own team)
	FillTimeout time.Duration // after it a group of at least MinPlayers starts
}

// Info is m as the modes reply lists it.
func (m Mode) Info() proto.ModeInfo {
	return proto.ModeInfo{Name: m.Name, Title: m.Title, Game: m.Game, MinPlayers: m.MinPlayers, MaxPlayers: m.MaxPlayers,
		Teams: m.Teams, FillMS: m.FillTimeout.Milliseconds()}
}

// modeFromInfo is a registered mode of game.
func modeFromInfo(game string, mi proto.ModeInfo) Mode {
	return Mode{Name: mi.Name, Title: mi.Title, Game: game, MinPlayers: mi.MinPlayers, MaxPlayers: mi.MaxPlayers,
		Teams: mi.Teams, FillTimeout: time.Duration(mi.FillMS) * time.Millisecond}
}

// ModeLimit is an operator's override of one mode's player counts (Config.ModeLimits). It can
// only narrow what the game declares: a bound outside the game's range is held to it.
type ModeLimit struct {
	MinPlayers int `json:"min_players"`
	MaxPlayers int `json:"max_players"`
}

// ErrBadModeLimits reports a mode limits flag or file that does not parse.
var ErrBadModeLimits = errors.New("lobby: bad mode limits")

func (l ModeLimit) validate(name string) error {
	if name == "" || len(name) > proto.MaxModeLen {
		return fmt.Errorf("%w: mode name %q: want 1..%d bytes", ErrBadModeLimits, name, proto.MaxModeLen)
	}
	if l.MinPlayers < 1 || l.MinPlayers > l.MaxPlayers || l.MaxPlayers > proto.MaxModePlayers {
		return fmt.Errorf("%w: mode %q: players %d-%d: want 1 ≤ min ≤ max ≤ %d", ErrBadModeLimits, name,
			l.MinPlayers, l.MaxPlayers, proto.MaxModePlayers)
	}
	return nil
}

// apply narrows m to l.
func (l ModeLimit) apply(m Mode) Mode {
	lo, hi := max(m.MinPlayers, l.MinPlayers), min(m.MaxPlayers, l.MaxPlayers)
	if lo > hi { // disjoint ranges: the game's own bound wins
		lo = min(max(l.MinPlayers, m.MinPlayers), m.MaxPlayers)
		hi = max(lo, hi)
	}
	m.MinPlayers, m.MaxPlayers = lo, hi
	if m.Teams > m.MaxPlayers {
		m.Teams = m.MaxPlayers
	}
	return m
}

// ParseModeLimits parses the -mode-limits flag: comma-separated NAME=MIN-MAX, for example
// "ffa=2-12,duel=2-2". Empty is no limits.
func ParseModeLimits(spec string) (map[string]ModeLimit, error) {
	out := map[string]ModeLimit{}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for item := range strings.SplitSeq(spec, ",") {
		name, rng, ok := strings.Cut(strings.TrimSpace(item), "=")
		lo, hi, ok2 := strings.Cut(rng, "-")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: %q: want NAME=MIN-MAX", ErrBadModeLimits, item)
		}
		minP, err1 := strconv.Atoi(lo)
		maxP, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: %q: want NAME=MIN-MAX with whole numbers", ErrBadModeLimits, item)
		}
		l := ModeLimit{MinPlayers: minP, MaxPlayers: maxP}
		if err := l.validate(name); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%w: mode %q given twice", ErrBadModeLimits, name)
		}
		out[name] = l
	}
	return out, nil
}

// maxModeLimitsFile bounds what LoadModeLimits reads.
const maxModeLimitsFile = 1 << 20

// LoadModeLimits reads the -mode-limits-file: a JSON object from mode name to
// {"min_players": N, "max_players": M}, for example {"ffa": {"min_players": 2, "max_players": 12}}.
func LoadModeLimits(path string) (map[string]ModeLimit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeModeLimits(f)
}

// DecodeModeLimits decodes the JSON of a mode limits file (see LoadModeLimits).
func DecodeModeLimits(r io.Reader) (map[string]ModeLimit, error) {
	dec := json.NewDecoder(io.LimitReader(r, maxModeLimitsFile))
	dec.DisallowUnknownFields()
	var out map[string]ModeLimit
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModeLimits, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrBadModeLimits)
	}
	for name, l := range out {
		if err := l.validate(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// live reports whether a registered server is connected and heartbeating.
func (s *Server) live(si *ServerInfo, now time.Time) bool {
	return now.Sub(si.LastSeen) <= s.cfg.HeartbeatTimeout && si.Disconnected.IsZero()
}

// offered returns the modes live servers offer, with the operator's limits applied, in the
// order of their games' names, each game's modes in the order it declared them. Two servers
// of one game may disagree on a mode (different versions): the one first by name wins.
func (s *Server) offered(servers []ServerInfo, now time.Time) []Mode {
	live := make([]ServerInfo, 0, len(servers))
	for _, si := range servers {
		if s.live(&si, now) {
			live = append(live, si)
		}
	}
	slices.SortFunc(live, func(a, b ServerInfo) int {
		return cmp.Or(strings.Compare(a.Game, b.Game), strings.Compare(a.Name, b.Name))
	})
	var out []Mode
	for _, si := range live {
		for _, m := range si.Modes {
			if slices.ContainsFunc(out, func(o Mode) bool { return o.Name == m.Name }) {
				continue
			}
			if l, ok := s.cfg.ModeLimits[m.Name]; ok {
				m = l.apply(m)
			}
			out = append(out, m)
		}
	}
	return out
}

// modes returns what live servers offer now.
func (s *Server) modes(ctx context.Context) ([]Mode, error) {
	servers, err := s.store.Servers(ctx)
	if err != nil {
		return nil, err
	}
	return s.offered(servers, s.cfg.Now()), nil
}

// findMode returns the named mode if a live server offers it; code is the error reply's code
// otherwise (bad_mode for a malformed name, mode_unavailable, or internal).
func (s *Server) findMode(ctx context.Context, name string) (m Mode, code string, err error) {
	if name == "" || len(name) > proto.MaxModeLen {
		return Mode{}, proto.CodeBadMode, fmt.Errorf("mode name %q: want 1..%d bytes", name, proto.MaxModeLen)
	}
	modes, err := s.modes(ctx)
	if err != nil {
		return Mode{}, proto.CodeInternal, err
	}
	i := slices.IndexFunc(modes, func(m Mode) bool { return m.Name == name })
	if i < 0 {
		return Mode{}, proto.CodeNoMode, fmt.Errorf("no live game server offers mode %q (ask modes for the list)", name)
	}
	return modes[i], "", nil
}

// offers reports whether a server offers the mode.
func (si *ServerInfo) offers(mode string, players int) bool {
	return slices.ContainsFunc(si.Modes, func(m Mode) bool { return m.Name == mode && players <= m.MaxPlayers })
}

// modeErr replies to a request whose mode findMode refused.
func (c *conn) modeErr(id uint64, code string, err error) bool {
	if code == proto.CodeInternal {
		return c.internal(id, "list game servers", err)
	}
	c.replyErr(id, code, err.Error())
	return false
}

// listModes answers modes: every mode a live game server offers, limits applied.
func (c *conn) listModes(ctx context.Context, m *proto.Message) bool {
	modes, err := c.s.modes(ctx)
	if err != nil {
		return c.internal(m.ID, "list game servers", err)
	}
	out := &proto.Message{Type: proto.TypeModes, ID: m.ID, Modes: make([]proto.ModeInfo, 0, len(modes))}
	for _, md := range modes {
		out.Modes = append(out.Modes, md.Info())
	}
	c.send(out)
	return false
}

// registeredModes checks the game and modes of a game server's auth: a game name, 1..MaxModes
// valid modes with distinct names, none of them a mode name that a live server of another
// game offers (mode_conflict). code is the error reply's code.
func (s *Server) registeredModes(ctx context.Context, m *proto.Message) (modes []Mode, code string, err error) {
	if !validName(m.Game, proto.MaxNameLen) {
		return nil, proto.CodeBadRequest, fmt.Errorf("game name %q invalid: a game server registers its game and modes", m.Game)
	}
	if len(m.Modes) == 0 || len(m.Modes) > proto.MaxModes {
		return nil, proto.CodeBadRequest, fmt.Errorf("game %q: %d modes, want 1..%d", m.Game, len(m.Modes), proto.MaxModes)
	}
	for i, mi := range m.Modes {
		if err := mi.Validate(); err != nil {
			return nil, proto.CodeBadRequest, fmt.Errorf("game %q: %w", m.Game, err)
		}
		if slices.ContainsFunc(m.Modes[:i], func(o proto.ModeInfo) bool { return o.Name == mi.Name }) {
			return nil, proto.CodeBadRequest, fmt.Errorf("game %q: mode %q listed twice", m.Game, mi.Name)
		}
		modes = append(modes, modeFromInfo(m.Game, mi))
	}
	servers, err := s.store.Servers(ctx)
	if err != nil {
		return nil, proto.CodeInternal, err
	}
	now := s.cfg.Now()
	for _, si := range servers {
		if si.Name == m.Name || si.Game == m.Game || !s.live(&si, now) {
			continue
		}
		for _, md := range modes {
			if slices.ContainsFunc(si.Modes, func(o Mode) bool { return o.Name == md.Name }) {
				return nil, proto.CodeModeConflict, fmt.Errorf("mode %q of game %q is already offered by game %q (server %q); mode names must be unique across games",
					md.Name, m.Game, si.Game, si.Name)
			}
		}
	}
	return modes, "", nil
}
