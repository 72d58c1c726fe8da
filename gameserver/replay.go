package gameserver

import (
	"io"
	"log/slog"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Checksummer is an optional interface of a Game: a hash of the whole simulation state, the
// same on every machine for the same calls. A match recorded with Config.Replays stores it
// once a second, so a re-simulation (cmd/replay -verify) finds the second it diverged.
type Checksummer interface {
	Checksum() uint64
}

// MapNamer is an optional interface of a Game: the name of the map the match plays on, stored
// in its replay.
type MapNamer interface {
	MapName() string
}

// ReplayStore keeps the replay of every match a server runs; replay.Dir writes them to a
// directory. Save is called from the match's goroutine when the match ends, with the file's
// base name (the match ID plus replay.Ext) and its bytes.
type ReplayStore interface {
	Save(name string, file io.WriterTo) error
}

// recorder records one match for Config.Replays: the match calls it at every Join, Leave and
// Step, and at the end. A nil recorder (no store, or recording failed) records nothing.
type recorder struct {
	store ReplayStore
	name  string
	log   *slog.Logger
	enc   *replay.Encoder
	sum   Checksummer
	every uint32
	ins   []replay.Input
}

// newRecorder starts the replay of a match, or returns nil when the server keeps none.
func newRecorder(s *Server, t wire.Ticket, game Game, log *slog.Logger) *recorder {
	if s.cfg.Replays == nil {
		return nil
	}
	h := replay.Header{Game: s.gameName(), Mode: t.Mode, MatchID: t.MatchID, Seed: seedOf(t.MatchID),
		Start: s.cfg.Now(), TickRate: s.cfg.Tick, MaxPlayers: int(t.Players)}
	if mn, ok := game.(MapNamer); ok {
		h.Map = mn.MapName()
	}
	sum, ok := game.(Checksummer)
	if ok && s.cfg.Tick > 0 {
		h.ChecksumEvery = s.cfg.Tick
	}
	enc, err := replay.NewEncoder(h)
	if err != nil {
		log.Warn("not recording a replay", "err", err)
		return nil
	}
	return &recorder{store: s.cfg.Replays, name: replay.Name(t.MatchIDString()), log: log, enc: enc, sum: sum,
		every: uint32(h.ChecksumEvery)}
}

// failed logs the first recording error; the match goes on unrecorded.
func (r *recorder) failed(err error) bool {
	if err == nil {
		return false
	}
	r.log.Warn("replay recording stopped", "err", err)
	return true
}

func (r *recorder) join(tick uint32, p Player) {
	if r != nil && r.enc.Err() == nil {
		r.failed(r.enc.Join(tick, replay.Player{Slot: p.Slot, Team: p.Team, Name: p.Name}))
	}
}

func (r *recorder) leave(tick uint32, slot uint8) {
	if r != nil && r.enc.Err() == nil {
		r.failed(r.enc.Leave(tick, slot))
	}
}

// inputs records the inputs of the Step from tick.
func (r *recorder) inputs(tick uint32, inputs []PlayerInput) {
	if r == nil || r.enc.Err() != nil {
		return
	}
	r.ins = r.ins[:0]
	for _, pi := range inputs {
		r.ins = append(r.ins, replay.Input{Slot: pi.Slot, Repeated: pi.Repeated, Data: pi.Input})
	}
	r.failed(r.enc.Tick(tick, r.ins))
}

// stepped records the world's checksum once a second, after the Step that reached tick.
func (r *recorder) stepped(tick uint32) {
	if r == nil || r.sum == nil || tick%r.every != 0 || r.enc.Err() != nil {
		return
	}
	r.failed(r.enc.Checksum(tick, r.sum.Checksum()))
}

// end records the result and saves the replay; it returns the replay's name, or "" when
// none was saved.
func (r *recorder) end(tick uint32, res Result) string {
	if r == nil || r.enc.Err() != nil {
		return ""
	}
	if r.failed(r.enc.End(tick, res)) {
		return ""
	}
	start := time.Now()
	if err := r.store.Save(r.name, r.enc); err != nil {
		r.log.Error("replay not saved", "err", err)
		return ""
	}
	r.log.Info("replay saved", "replay", r.name, "body_bytes", r.enc.Len(), "took", time.Since(start))
	return r.name
}

// gameName is the name of the game the server hosts (Config.Def.Name), as replays record it;
// "" (a server given only a Config.Game factory) means the default game.
func (s *Server) gameName() string { return s.cfg.Def.Name }
