package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Run runs the suite; newStore returns an empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) lobby.Store) {
	ctx := context.Background()
	t.Run("Names", func(t *testing.T) {
		s := newStore(t)
		ok, err := s.ClaimName(ctx, "ada", "c1", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.ClaimName(ctx, "ada", "c2", time.Minute)
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, s.RefreshName(ctx, "ada", "c1", time.Minute))
		require.NoError(t, s.ReleaseName(ctx, "ada", "c2"), "not the owner: no effect")
		p, err := s.Presence(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Online)
		require.NoError(t, s.ReleaseName(ctx, "ada", "c1"))
		ok, err = s.ClaimName(ctx, "ada", "c2", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)

		id1, err := s.PlayerID(ctx, "ada")
		require.NoError(t, err)
		id2, err := s.PlayerID(ctx, "bob")
		require.NoError(t, err)
		again, err := s.PlayerID(ctx, "ada")
		require.NoError(t, err)
		assert.NotEqual(t, id1, id2)
		assert.Equal(t, id1, again)
		assert.NotZero(t, id1)
	})
	t.Run("OwnersFinish", func(t *testing.T) {
		s := newStore(t)
		_, err := s.NameOwner(ctx, "ada")
		require.ErrorIs(t, err, lobby.ErrNotFound)
		ok, err := s.ClaimName(ctx, "ada", "i1-1", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		owner, err := s.NameOwner(ctx, "ada")
		require.NoError(t, err)
		assert.Equal(t, "i1-1", owner)

		holder, err := s.LockOwner(ctx, "instance:i1")
		require.NoError(t, err)
		assert.Empty(t, holder)
		ok, err = s.Lock(ctx, "instance:i1", "i1", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		holder, err = s.LockOwner(ctx, "instance:i1")
		require.NoError(t, err)
		assert.Equal(t, "i1", holder)

		m := lobby.Match{ID: "m1", Mode: "mode-a", Server: "gs", Start: time.Unix(1000, 0),
			Players: []lobby.MatchPlayer{{PlayerID: 1, Name: "a"}, {PlayerID: 2, Name: "b", Slot: 1, Team: 1}}}
		require.NoError(t, s.PutMatch(ctx, m))
		rec := proto.MatchRecord{MatchID: "m1", Mode: "mode-a", Reason: proto.ReasonFinished,
			Players: []proto.PlayerResult{{PlayerID: 1, Rank: 1}, {PlayerID: 2, Rank: 2}}}
		r1 := glicko.Rating{Rating: 1600, RD: 300, Volatility: 0.06}
		got, ok, err := s.FinishMatch(ctx, "m1", map[uint64]glicko.Rating{1: r1}, rec)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "m1", got.ID)
		_, ok, err = s.FinishMatch(ctx, "m1", map[uint64]glicko.Rating{1: {Rating: 1}}, rec)
		require.NoError(t, err)
		require.False(t, ok, "finished once only")
		rs, err := s.Ratings(ctx, []uint64{1, 2})
		require.NoError(t, err)
		assert.Equal(t, map[uint64]glicko.Rating{1: r1}, rs)
		for _, id := range []uint64{1, 2} {
			h, err := s.History(ctx, id, 10)
			require.NoError(t, err)
			require.Len(t, h, 1)
			assert.Equal(t, "m1", h[0].MatchID)
			_, err = s.PlayerMatch(ctx, id)
			require.ErrorIs(t, err, lobby.ErrNotFound)
		}
	})
	t.Run("Queue", func(t *testing.T) {
		s := newStore(t)
		now := time.Unix(1000, 0)
		for i, k := range []lobby.QueueKey{{Mode: "mode-a", Region: "eu"}, {Mode: "mode-a", Region: "eu"}, {Mode: "mode-b", Region: ""}} {
			require.NoError(t, s.Enqueue(ctx, lobby.QueueTicket{PlayerID: uint64(i + 1), Name: "p", Mode: k.Mode,
				Region: k.Region, Rating: 1500, RD: 350, Since: now.Add(-time.Duration(i) * time.Second)}))
		}
		err := s.Enqueue(ctx, lobby.QueueTicket{PlayerID: 1, Mode: "mode-a"})
		require.ErrorIs(t, err, lobby.ErrExists)
		keys, err := s.QueueKeys(ctx)
		require.NoError(t, err)
		assert.ElementsMatch(t, []lobby.QueueKey{{Mode: "mode-a", Region: "eu"}, {Mode: "mode-b", Region: ""}}, keys)
		q, err := s.Queued(ctx, lobby.QueueKey{Mode: "mode-a", Region: "eu"})
		require.NoError(t, err)
		require.Len(t, q, 2)
		assert.Equal(t, uint64(2), q[0].PlayerID, "oldest first")
		assert.True(t, q[0].Since.Equal(now.Add(-time.Second)))
		ok, err := s.TakeTickets(ctx, []uint64{1, 2, 99})
		require.NoError(t, err)
		assert.False(t, ok, "all or none")
		ok, err = s.TakeTickets(ctx, []uint64{1, 2})
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.Dequeue(ctx, 3)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.Dequeue(ctx, 3)
		require.NoError(t, err)
		assert.False(t, ok)
		keys, err = s.QueueKeys(ctx)
		require.NoError(t, err)
		assert.Empty(t, keys)
	})
	t.Run("Rooms", func(t *testing.T) {
		s := newStore(t)
		r := lobby.Room{ID: "r1", Mode: "mode-a", Host: 1, MaxPlayers: 2, Created: time.Unix(1, 0),
			Members: []lobby.RoomMember{{PlayerID: 1, Name: "ada"}}}
		require.NoError(t, s.CreateRoom(ctx, r))
		require.ErrorIs(t, s.CreateRoom(ctx, r), lobby.ErrExists)
		priv := lobby.Room{ID: "r2", Mode: "mode-a", Host: 2, Private: true, JoinCode: "ABCDEF", MaxPlayers: 2,
			Created: time.Unix(2, 0), Members: []lobby.RoomMember{{PlayerID: 2, Name: "bob"}}}
		require.NoError(t, s.CreateRoom(ctx, priv))
		dup := priv
		dup.ID = "r3"
		require.ErrorIs(t, s.CreateRoom(ctx, dup), lobby.ErrExists, "join code taken")
		got, err := s.RoomByCode(ctx, "ABCDEF")
		require.NoError(t, err)
		assert.Equal(t, "r2", got.ID)
		_, err = s.Room(ctx, "nope")
		require.ErrorIs(t, err, lobby.ErrNotFound)
		list, err := s.ListRooms(ctx, "", 10)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "r1", list[0].ID)
		list, err = s.ListRooms(ctx, "mode-b", 10)
		require.NoError(t, err)
		assert.Empty(t, list)

		up, err := s.UpdateRoom(ctx, "r1", func(r *lobby.Room) error {
			r.Members = append(r.Members, lobby.RoomMember{PlayerID: 3, Name: "cy"})
			return nil
		})
		require.NoError(t, err)
		assert.Len(t, up.Members, 2)
		boom := errors.New("boom")
		_, err = s.UpdateRoom(ctx, "r1", func(r *lobby.Room) error { r.Members = nil; return boom })
		require.ErrorIs(t, err, boom)
		got, err = s.Room(ctx, "r1")
		require.NoError(t, err)
		assert.Len(t, got.Members, 2, "aborted update changes nothing")

		// Concurrent updates do not lose writes.
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateRoom(ctx, "r1", func(r *lobby.Room) error {
					r.Members = append(r.Members, lobby.RoomMember{PlayerID: uint64(100 + i)})
					return nil
				})
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		got, err = s.Room(ctx, "r1")
		require.NoError(t, err)
		assert.Len(t, got.Members, 12)

		_, err = s.UpdateRoom(ctx, "r2", func(r *lobby.Room) error { r.Members = nil; return nil })
		require.NoError(t, err)
		_, err = s.Room(ctx, "r2")
		require.ErrorIs(t, err, lobby.ErrNotFound, "empty rooms are deleted")
		_, err = s.RoomByCode(ctx, "ABCDEF")
		require.ErrorIs(t, err, lobby.ErrNotFound)
		_, err = s.UpdateRoom(ctx, "r2", func(r *lobby.Room) error { return nil })
		require.ErrorIs(t, err, lobby.ErrNotFound)
	})
	t.Run("ServersMatches", func(t *testing.T) {
		s := newStore(t)
		now := time.Unix(5, 0)
		require.NoError(t, s.PutServer(ctx, lobby.ServerInfo{Name: "gs", Region: "eu", Addr: "127.0.0.1:1", Capacity: 8, LastSeen: now}))
		srvs, err := s.Servers(ctx)
		require.NoError(t, err)
		require.Len(t, srvs, 1)
		assert.True(t, srvs[0].LastSeen.Equal(now))
		m := lobby.Match{ID: "m1", Mode: "mode-a", Server: "gs", Start: now,
			Players: []lobby.MatchPlayer{{PlayerID: 1, Name: "ada"}, {PlayerID: 2, Name: "bob", Slot: 1, Team: 1}}}
		require.NoError(t, s.PutMatch(ctx, m))
		got, err := s.Match(ctx, "m1")
		require.NoError(t, err)
		assert.Equal(t, m.Players, got.Players)
		id, err := s.PlayerMatch(ctx, 2)
		require.NoError(t, err)
		assert.Equal(t, "m1", id)
		all, err := s.Matches(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 1)
		p, err := s.Presence(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Matches)
		assert.Equal(t, 1, p.Servers)
		ended, ok, err := s.EndMatch(ctx, "m1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "gs", ended.Server)
		_, ok, err = s.EndMatch(ctx, "m1")
		require.NoError(t, err)
		assert.False(t, ok, "ends once")
		_, err = s.PlayerMatch(ctx, 2)
		require.ErrorIs(t, err, lobby.ErrNotFound)
		_, err = s.Match(ctx, "m1")
		require.ErrorIs(t, err, lobby.ErrNotFound)
		require.NoError(t, s.DeleteServer(ctx, "gs"))
		srvs, err = s.Servers(ctx)
		require.NoError(t, err)
		assert.Empty(t, srvs)
	})
	t.Run("HistoryRatings", func(t *testing.T) {
		s := newStore(t)
		for i := range 3 {
			require.NoError(t, s.AddHistory(ctx, proto.MatchRecord{MatchID: string(rune('a' + i)), Mode: "mode-a", Reason: "finished",
				Players: []proto.PlayerResult{{PlayerID: 1, Rank: 1}, {PlayerID: 2, Rank: 2}}}))
		}
		h, err := s.History(ctx, 2, 2)
		require.NoError(t, err)
		require.Len(t, h, 2)
		assert.Equal(t, "c", h[0].MatchID, "newest first")
		require.NoError(t, s.PutRatings(ctx, map[uint64]glicko.Rating{1: {Rating: 1600, RD: 200, Volatility: 0.06}}))
		rs, err := s.Ratings(ctx, []uint64{1, 2})
		require.NoError(t, err)
		assert.Equal(t, map[uint64]glicko.Rating{1: {Rating: 1600, RD: 200, Volatility: 0.06}}, rs)
	})
	t.Run("LockPubSub", func(t *testing.T) {
		s := newStore(t)
		ok, err := s.Lock(ctx, "mm", "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.Lock(ctx, "mm", "b", time.Minute)
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = s.Lock(ctx, "mm", "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "the holder renews")

		got := make(chan lobby.Event, 4)
		stop, err := s.Subscribe(ctx, func(ev lobby.Event) { got <- ev })
		require.NoError(t, err)
		ev := lobby.Event{To: 7, Msg: proto.Message{Type: proto.TypeChat, Text: "hi", Token: []byte{1, 2}}}
		require.NoError(t, s.Publish(ctx, ev))
		select {
		case e := <-got:
			assert.Equal(t, ev, e)
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		stop()
		stop()
	})
}
