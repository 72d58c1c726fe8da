package client

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Spectating. A connection made with a spectator's token (lobbyclient.Client.Spectate) is
// welcomed with slot wire.SpectatorSlot: it has no player, so it makes no inputs and predicts
// nothing; it acknowledges each snapshot it decodes with a wire.SpectatorAck (the baseline the
// server deltas the next one against) and interpolates every player, as it does a player's
// opponents. The server sends it the match some seconds late. The scene it fills has
// Spectator set and marks the player the camera follows (Followed); Follow and FollowSlot
// switch it.

// Spectator reports whether the connection watches the match rather than plays in it.
func (c *Conn) Spectator() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spectating()
}

func (c *Conn) spectating() bool { return c.welcomed && c.welcome.Slot == wire.SpectatorSlot }

// updateSpectator is Update for a spectator: an acknowledgement when a newer snapshot arrived
// (it also carries the channel's acknowledgements of the reliable messages), nothing else.
func (c *Conn) updateSpectator(now time.Time) {
	if c.hasSnap && c.newest != c.ackSent || c.flushNow {
		a := wire.SpectatorAck{AckTick: c.newest}
		c.msgBuf, _ = a.Append(c.msgBuf[:0])
		if err := c.ep.SendUnreliable(c.msgBuf); err != nil {
			c.log.Error("client: send spectator ack", "err", err)
		}
		c.ackSent, c.flushNow = c.newest, false
		c.flush(now)
	}
	c.inMeter.record(now, c.bytesIn())
	c.outMeter.record(now, c.bytesOut())
	c.snapMeter.record(now, c.stats.SnapshotsReceived)
}

// Follow moves a spectator's camera to the next (delta > 0) or previous (delta < 0) player
// in slot order, wrapping around.
func (c *Conn) Follow(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.followDelta += delta
}

// FollowSlot points a spectator's camera at the player in slot.
func (c *Conn) FollowSlot(slot uint8) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.follow, c.followSet, c.followDelta = slot, true, 0
}

// markFollowed applies pending Follow steps and marks the followed player of sc: the one
// chosen if it is still in the scene, else the lowest slot.
func (c *Conn) markFollowed(sc *Scene) {
	sc.Spectator = true
	if len(sc.Players) == 0 {
		return
	}
	at := -1
	for i := range sc.Players {
		if c.followSet && sc.Players[i].Slot == c.follow {
			at = i
		}
	}
	if at < 0 {
		at = 0
		for i := range sc.Players {
			if sc.Players[i].Slot < sc.Players[at].Slot {
				at = i
			}
		}
	}
	if d := c.followDelta; d != 0 {
		// Players are in slot order in the scene the rules fill; step through them.
		n := len(sc.Players)
		at = ((at+d)%n + n) % n
		c.followDelta = 0
	}
	c.follow, c.followSet = sc.Players[at].Slot, true
	sc.Players[at].Followed = true
}

// rejoin asks the lobby for a fresh token to the match of mf: the seat for a player, a
// spectator's place for a spectator.
func rejoin(ctx context.Context, lc *lobbyclient.Client, mf lobbyclient.MatchFound) (lobbyclient.MatchFound, error) {
	if mf.Spectator {
		return lc.Spectate(ctx, mf.MatchID)
	}
	return lc.Reconnect(ctx, mf.MatchID)
}

// maxLeaders is how many scoreboard lines a LiveSummary's Leaders shows.
const maxLeaders = 3

// RefreshLive fetches the list of running matches one can watch into LobbyView.Live.
func (s *Session) RefreshLive() {
	s.request("match list", func(ctx context.Context, lc *lobbyclient.Client) error {
		live, err := lc.LiveMatches(ctx, "")
		if err != nil {
			return err
		}
		list := make([]LiveSummary, 0, len(live))
		for _, m := range live {
			ls := LiveSummary{MatchID: m.MatchID, Mode: m.Mode, Players: m.Players, MaxPlayers: m.MaxPlayers,
				Spectators: m.Spectators, Elapsed: time.Duration(m.ElapsedMS) * time.Millisecond}
			var lead []string
			for _, sc := range m.Scores[:min(len(m.Scores), maxLeaders)] {
				lead = append(lead, fmt.Sprintf("%s %d", sc.Name, sc.Score))
			}
			ls.Leaders = strings.Join(lead, " · ")
			list = append(list, ls)
		}
		s.mu.Lock()
		s.view.Live = list
		s.mu.Unlock()
		return nil
	})
}

// Spectate watches a running match (see [Conn.Spectator]): the match screen shows it, some
// seconds late, following one player; LeaveMatch returns to the lobby.
func (s *Session) Spectate(matchID string) {
	s.request("spectate", func(ctx context.Context, lc *lobbyclient.Client) error {
		mf, err := lc.Spectate(ctx, matchID)
		if err != nil {
			return err
		}
		s.status("watching match "+shortID(matchID), false)
		s.goDo(func() { s.play(mf) })
		return nil
	})
}

// Follow switches the spectator's camera to the next (delta > 0) or previous player.
func (s *Session) Follow(delta int) {
	if c := s.Conn(); c != nil {
		c.Follow(delta)
	}
}

// FollowSlot points the spectator's camera at the player in slot.
func (s *Session) FollowSlot(slot uint8) {
	if c := s.Conn(); c != nil {
		c.FollowSlot(slot)
	}
}

func shortID(id string) string { return id[:min(len(id), 8)] }

// autoWatchPoll is how often AutoWatch asks for running matches while none has players.
const autoWatchPoll = 500 * time.Millisecond

// autoWatch spectates the longest running match with players connected (SessionConfig.
// AutoWatch), polling until one runs or the session ends.
func (s *Session) autoWatch(lc *lobbyclient.Client) {
	s.status("waiting for a match to watch", false)
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		live, err := lc.LiveMatches(ctx, "")
		cancel()
		if err != nil && s.ctx.Err() == nil {
			s.status(fmt.Sprintf("match list: %v", err), true)
		}
		for _, m := range live {
			if m.Players > 0 {
				s.Spectate(m.MatchID)
				return
			}
		}
		if !sleepCtx(s.ctx, autoWatchPoll) {
			return
		}
	}
}
