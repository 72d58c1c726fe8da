package lobby

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Spectators. Game servers heartbeat a summary of each running match (proto.LiveMatch: mode,
// players, scoreboard, time, spectators), kept on their ServerInfo; live_list lists the running
// matches with those summaries, and spectate seals a spectator's connect token for one of them:
// a wire.Ticket with the spectator flag, under a client ID of its own (top bit set) so a
// player watching a match on the server where they also play is not refused as a duplicate.
// The game server enforces its per-match limit; the lobby refuses early (spectators_full) when
// the last heartbeat already showed the match full.

func init() {
	knownTypes[proto.TypeLiveList] = true
	knownTypes[proto.TypeSpectate] = true
}

// spectatorClientID is a fresh netcode.io client ID for a spectator's token: top bit set, so
// it never equals a player ID, random below.
func spectatorClientID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) | 1<<63
}

// liveMatches returns the running matches of mode ("" for all) on live servers, with their
// servers' latest summaries, the longest running first, at most limit.
func (s *Server) liveMatches(ctx context.Context, mode string, limit int) ([]proto.LiveMatch, error) {
	matches, err := s.store.Matches(ctx)
	if err != nil {
		return nil, err
	}
	servers, err := s.store.Servers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	live := make(map[string]proto.LiveMatch)
	up := make(map[string]bool)
	for _, si := range servers {
		if now.Sub(si.LastSeen) > s.cfg.HeartbeatTimeout || !si.Disconnected.IsZero() {
			continue
		}
		up[si.Name] = true
		for _, lm := range si.Live {
			live[lm.MatchID] = lm
		}
	}
	out := []proto.LiveMatch{}
	for _, m := range matches {
		if !up[m.Server] || (mode != "" && m.Mode != mode) {
			continue
		}
		lm, ok := live[m.ID]
		if !ok { // started since the server's last heartbeat: what the lobby knows
			lm = proto.LiveMatch{Players: len(m.Players), ElapsedMS: max(now.Sub(m.Start).Milliseconds(), 0)}
		}
		lm.MatchID, lm.Mode, lm.Region, lm.MaxPlayers = m.ID, m.Mode, m.Region, len(m.Players)
		out = append(out, lm)
	}
	slices.SortFunc(out, func(a, b proto.LiveMatch) int {
		return cmp.Or(cmp.Compare(b.ElapsedMS, a.ElapsedMS), cmp.Compare(a.MatchID, b.MatchID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (c *conn) liveList(ctx context.Context, m *proto.Message) bool {
	if len(m.Mode) > proto.MaxModeLen {
		c.replyErr(m.ID, proto.CodeBadRequest, "mode too long")
		return false
	}
	live, err := c.s.liveMatches(ctx, m.Mode, proto.MaxLiveList)
	if err != nil {
		return c.internal(m.ID, "list matches", err)
	}
	c.send(&proto.Message{Type: proto.TypeLiveMatches, ID: m.ID, Live: live})
	return false
}

func (c *conn) spectate(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if m.MatchID == "" {
		c.replyErr(m.ID, proto.CodeBadRequest, "match_id required")
		return false
	}
	if c.busy(ctx, m.ID, false) {
		return false
	}
	match, err := s.store.Match(ctx, m.MatchID)
	if errors.Is(err, ErrNotFound) {
		c.replyErr(m.ID, proto.CodeNoMatch, "match not running")
		return false
	}
	if err != nil {
		return c.internal(m.ID, "find match", err)
	}
	live, err := s.liveMatches(ctx, match.Mode, math.MaxInt)
	if err != nil {
		return c.internal(m.ID, "list matches", err)
	}
	listed := false
	for _, lm := range live {
		if lm.MatchID != match.ID {
			continue
		}
		listed = true
		if lm.MaxSpectators > 0 && lm.Spectators >= lm.MaxSpectators {
			c.replyErr(m.ID, proto.CodeSpectatorsFull, fmt.Sprintf("the match has %d spectators, its most", lm.Spectators))
			return false
		}
	}
	if !listed {
		c.replyErr(m.ID, proto.CodeNoMatch, "match not running on a live server")
		return false
	}
	reply, err := s.spectatorToken(&match, c.name, c.playerID)
	if err != nil {
		return c.internal(m.ID, "seal token", err)
	}
	reply.ID = m.ID
	c.send(reply)
	return false
}

// spectatorToken seals a spectator's connect token for match.
func (s *Server) spectatorToken(m *Match, name string, playerID uint64) (*proto.Message, error) {
	if s.cfg.SealToken == nil {
		return nil, errors.New("no token sealer configured")
	}
	addr, err := netip.ParseAddrPort(m.Addr)
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", m.Addr, err)
	}
	t := wire.Ticket{Players: uint8(len(m.Players)), Mode: m.Mode, Name: name, PlayerID: playerID, Spectator: true}
	if _, err := hex.Decode(t.MatchID[:], []byte(m.ID)); err != nil {
		return nil, fmt.Errorf("match id %q: %w", m.ID, err)
	}
	ud, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	tok, err := s.cfg.SealToken(spectatorClientID(), addr, ud)
	if err != nil {
		return nil, err
	}
	return &proto.Message{Type: proto.TypeSpectate, Server: m.Addr, Transport: m.Transport, Token: tok,
		MatchID: m.ID, Mode: m.Mode, Players: len(m.Players)}, nil
}
