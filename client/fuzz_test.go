package client

import (
	"testing"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// FuzzConnMessages feeds arbitrary in-match messages to a welcomed connection on both
// channels: bad bytes are counted and dropped, never a panic.
func FuzzConnMessages(f *testing.F) {
	w := wire.Welcome{Version: wire.ProtocolVersion, Players: 2, TickRate: 60, SnapshotRate: 30, Mode: "ffa"}
	wb, _ := w.Append(nil)
	rules, _ := newFakeRules(w)
	full, _ := rules.Schema().AppendDelta(nil, nil, &snapshot.Snapshot{Tick: 10, Entities: []snapshot.Entity{{ID: 1, Fields: [snapshot.MaxFields]int32{5, 6}}}})
	sm := wire.Snapshot{HasInput: true, LastInputSeq: 3, Delta: full}
	sb, _ := sm.Append(nil)
	ch := wire.Chat{From: 0, Text: "hi"}
	cb, _ := ch.Append(nil)
	ro := wire.Roster{Players: []wire.RosterEntry{{Slot: 1, Name: "bob", Connected: true}}}
	rb, _ := ro.Append(nil)
	me := wire.MatchEnd{Result: wire.Result{Reason: "time_limit", Scores: []wire.PlayerScore{{Slot: 0, Name: "ann"}}}}
	mb, _ := me.Append(nil)
	ev := wire.GameEvent{Data: []byte{0, 1}}
	eb, _ := ev.Append(nil)
	for _, seed := range [][]byte{wb, sb, cb, rb, mb, eb, {}, {0xff}, sb[:9]} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	// Arena's own snapshots too, decoded by the real rules.
	ar, _ := NewArenaRules(w)
	af, _ := ar.Schema().AppendDelta(nil, nil, &snapshot.Snapshot{Tick: 12, Entities: []snapshot.Entity{{ID: 0, Fields: [snapshot.MaxFields]int32{100, 100}}}})
	am := wire.Snapshot{Delta: af}
	ab, _ := am.Append(nil)
	f.Add(ab, false)
	f.Fuzz(func(t *testing.T, msg []byte, reliable bool) {
		for _, rules := range []RulesFactory{newFakeRules, NewArenaRules} {
			fuzzConn(wb, msg, reliable, rules)
		}
	})
}

func fuzzConn(wb, msg []byte, reliable bool, rules RulesFactory) {
	{
		c := NewConn(newFakeTransport(), ConnConfig{Rules: rules})
		now := time.Unix(100, 0)
		c.mu.Lock()
		c.handleReliable(now, wb)
		if reliable {
			c.handleReliable(now, msg)
		} else {
			c.handleUnreliable(now, msg)
		}
		c.mu.Unlock()
		var sc Scene
		c.Scene(now.Add(time.Second), &sc)
		c.Update(now.Add(time.Second), Controls{})
	}
}
