package gameserver

import "github.com/skirmish-go/skirmish/gameserver/snapshot"

// historySize is how many snapshots a match keeps as possible delta baselines (Quake 3 keeps
// 32 per client). At 30 Hz that is about one second: a client whose newest acknowledgement is
// older gets a full snapshot.
const historySize = 32

// history is a match's ring of its last historySize snapshots. Every client of a match sees the
// whole world (Game.AppendEntities has no per-client view), so one ring serves all of them;
// what is per client is the tick it acknowledged, which picks its baseline from this ring.
// Entity slices are reused, so steady state allocates nothing.
type history struct {
	snaps [historySize]snapshot.Snapshot
	count uint64 // snapshots ever pushed
}

// next returns the slot for a new snapshot at tick, emptied but keeping its capacity. The
// caller fills its Entities; the slot overwrites the oldest snapshot.
func (h *history) next(tick uint32) *snapshot.Snapshot {
	s := &h.snaps[h.count%historySize]
	h.count++
	s.Tick = tick
	s.Entities = s.Entities[:0]
	return s
}

// find returns the stored snapshot of tick, or nil.
func (h *history) find(tick uint32) *snapshot.Snapshot {
	n := min(h.count, historySize)
	for i := range n {
		s := &h.snaps[(h.count-1-i)%historySize]
		if s.Tick == tick {
			return s
		}
	}
	return nil
}

// baseline picks the delta baseline for a client that acknowledged ackTick, when the snapshot
// being sent is curTick: the acknowledged snapshot if the ring still holds it, else nil (send
// a full snapshot). Zero means "nothing acknowledged"; an acknowledgement of curTick or later
// is a lie or a bug and is ignored.
func (h *history) baseline(ackTick, curTick uint32) *snapshot.Snapshot {
	if ackTick == 0 || ackTick >= curTick {
		return nil
	}
	return h.find(ackTick)
}
