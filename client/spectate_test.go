package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// TestSpectatorConn: a connection welcomed as a spectator sends no input whatever its
// controls, acknowledges each snapshot it decodes with a SpectatorAck (so the server can
// delta against it), draws every player with none local, and follows the player chosen.
func TestSpectatorConn(t *testing.T) {
	tr := newFakeTransport()
	c := NewConn(tr, ConnConfig{Rules: newFakeRules})
	srv := netcode.NewEndpoint(netcode.EndpointConfig{})
	rules, _ := newFakeRules(wire.Welcome{})
	schema := rules.Schema()
	now := time.Unix(1000, 0)
	deliver := func() {
		require.NoError(t, srv.Flush(now, func(p []byte) error {
			c.HandlePayload(now, p)
			return nil
		}))
	}
	w := wire.Welcome{Version: wire.ProtocolVersion, Slot: wire.SpectatorSlot, Players: 3, TickRate: 60, SnapshotRate: 30,
		Tick: 100, Mode: "ffa"}
	msg, err := w.Append(nil)
	require.NoError(t, err)
	require.NoError(t, srv.SendReliable(msg))
	r := wire.Roster{Players: []wire.RosterEntry{{Slot: 0, Name: "ada"}, {Slot: 1, Name: "bob"}, {Slot: 2, Name: "cy"}}}
	msg, err = r.Append(nil)
	require.NoError(t, err)
	require.NoError(t, srv.SendReliable(msg))

	var prev *snapshot.Snapshot
	acks := []uint32{}
	for i := range 6 {
		tick := uint32(100 + 2*i)
		cur := &snapshot.Snapshot{Tick: tick}
		for slot := range 3 {
			e := snapshot.Entity{ID: uint16(slot) + 1}
			e.Fields[0], e.Fields[1] = int32(slot*320+i*16), int32(slot*160)
			cur.Entities = append(cur.Entities, e)
		}
		delta, err := schema.AppendDelta(nil, prev, cur)
		require.NoError(t, err)
		snap := wire.Snapshot{Delta: delta}
		msg, err = snap.Append(nil)
		require.NoError(t, err)
		require.NoError(t, srv.SendUnreliable(msg))
		deliver()
		prev = cur
		now = now.Add(time.Second / 30)
		c.Update(now, Controls{Move: Vec{X: 1}, Fire: true})
		for _, p := range tr.take() {
			require.NoError(t, srv.Receive(now, p))
			for {
				m, ok := srv.NextUnreliable()
				if !ok {
					break
				}
				typ, _ := wire.PeekType(m)
				require.Equal(t, wire.MsgSpectatorAck, typ, "a spectator sends acknowledgements only")
				a, _, err := wire.ParseSpectatorAck(m)
				require.NoError(t, err)
				acks = append(acks, a.AckTick)
			}
		}
	}
	require.True(t, c.Spectator())
	assert.Equal(t, []uint32{100, 102, 104, 106, 108, 110}, acks, "each snapshot acknowledged once")
	assert.Zero(t, c.Report().InputTicks)

	var sc Scene
	followedSlot := func() uint8 {
		c.Scene(now, &sc)
		require.True(t, sc.Spectator)
		require.Len(t, sc.Players, 3)
		n, slot := 0, uint8(0)
		for _, p := range sc.Players {
			assert.False(t, p.Local, "a spectator has no local player")
			if p.Followed {
				n, slot = n+1, p.Slot
			}
		}
		require.Equal(t, 1, n, "one player followed")
		return slot
	}
	assert.Equal(t, uint8(0), followedSlot(), "the lowest slot at first")
	c.Follow(1)
	assert.Equal(t, uint8(1), followedSlot())
	c.Follow(-2)
	assert.Equal(t, uint8(2), followedSlot(), "wraps around")
	c.FollowSlot(1)
	assert.Equal(t, uint8(1), followedSlot())
	assert.Equal(t, "bob", sc.Players[1].Name)
}
