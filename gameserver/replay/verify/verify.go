// Package verify re-simulates a recorded match with the game's own code and checks it against
// the replay: every world checksum and the final result. It is the server side of package
// gameserver/replay (it runs a gameserver.Game); cmd/replay -verify is a thin main around it.
//
// The re-simulation makes the calls the game server made, in the same order: the game from
// the header's mode, player count and seed, then per tick the Joins and Leaves recorded at it
// and one Step with the inputs in effect (present slots in ascending order). A checksum is
// compared after the Step that reaches its tick; the result at the End tick is the game's own
// (Game.Over) if it says the match is over, else the recorded reason with the game's
// scoreboard (gameserver.Scorer), as the server reports a match it ended (abandoned, drained),
// plus the rows of the players who left, as they stood when each left.
package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"time"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Games finds the factory of the named game (a replay header's Game; "" is the default game)
// for a server ticking at tickRate.
type Games func(game string, tickRate int) (gameserver.GameFactory, error)

// Report is the outcome of a verification, as cmd/replay -verify prints it.
type Report struct {
	Ticks       uint32 `json:"ticks"`        // ticks simulated
	Checksums   int    `json:"checksums"`    // checksums compared
	ChecksumsOK bool   `json:"checksums_ok"` // every compared checksum matched
	ResultOK    bool   `json:"result_ok"`    // the re-simulated result equals the recorded one
	// FirstMismatch is the tick of the first checksum that did not match (0: none).
	FirstMismatch uint32  `json:"first_mismatch_tick,omitempty"`
	DurationS     float64 `json:"duration_s"` // the match's length: ticks / tick rate
	SimS          float64 `json:"sim_s"`      // wall time the re-simulation took
	// Problem says, in a few words, why a check failed ("" when both passed).
	Problem string `json:"problem,omitempty"`
}

// OK reports whether the replay verified: every checksum and the result matched.
func (r *Report) OK() bool { return r.ChecksumsOK && r.ResultOK }

// ErrNoChecksum reports a replay with checksums of a game that computes none.
var ErrNoChecksum = errors.New("verify: the replay has checksums but the game computes none")

type slot struct {
	present, repeated bool
	data              []byte
}

// Verify reads the replay in r and re-simulates it. A file that cannot be read or a game that
// cannot be made is an error; a simulation that differs from the replay is a Report that is
// not OK.
func Verify(r io.Reader, games Games) (Report, error) {
	start := time.Now()
	rd, err := replay.NewReader(r)
	if err != nil {
		return Report{}, err
	}
	h := rd.Header()
	factory, err := games(h.Game, h.TickRate)
	if err != nil {
		return Report{}, fmt.Errorf("verify: game %q: %w", h.Game, err)
	}
	game, err := factory(h.Mode, h.MaxPlayers, h.Seed)
	if err != nil {
		return Report{}, fmt.Errorf("verify: new game %q mode %q: %w", h.Game, h.Mode, err)
	}
	sum, _ := game.(gameserver.Checksummer)
	if h.ChecksumEvery > 0 && sum == nil {
		return Report{}, ErrNoChecksum
	}

	rep := Report{ChecksumsOK: true}
	var slots [replay.MaxPlayers]slot
	// left holds the scoreboard row of each player when they left (the game forgets them);
	// the server adds these rows, marked Left, to the final result.
	var left [replay.MaxPlayers]*wire.PlayerScore
	inputs := make([]gameserver.PlayerInput, 0, h.MaxPlayers)
	var tick uint32
	overAt := uint32(0) // tick at which the game said it was over (0: not yet)
	refused := false    // a recorded Join the game refused: the simulation differs
	fail := func(problem string) {
		if rep.Problem == "" {
			rep.Problem = problem
		}
	}
	// advance steps the game to tick to, unless it ended earlier.
	advance := func(to uint32) {
		for tick < to && overAt == 0 {
			inputs = inputs[:0]
			for i := range h.MaxPlayers {
				if s := &slots[i]; s.present {
					inputs = append(inputs, gameserver.PlayerInput{Slot: uint8(i), Input: s.data, Repeated: s.repeated})
				}
			}
			game.Step(inputs)
			tick++
			if _, over := game.Over(); over {
				overAt = tick
			}
		}
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return Report{}, fmt.Errorf("verify: %w: no end record", replay.ErrTruncated)
		}
		if err != nil {
			return Report{}, err
		}
		advance(rec.Tick)
		if overAt != 0 && overAt < rec.Tick {
			// The game ended before the recorded match did: the simulation diverged. Read
			// the rest of the file (it must still be a valid replay), check nothing more.
			fail(fmt.Sprintf("the game ended at tick %d, the replay goes on to tick %d", overAt, rec.Tick))
			if rec.Kind == replay.KindChecksum {
				rep.Checksums++
				rep.ChecksumsOK = false
				if rep.FirstMismatch == 0 {
					rep.FirstMismatch = rec.Tick
				}
			}
			if rec.Kind != replay.KindEnd {
				continue
			}
		}
		switch rec.Kind {
		case replay.KindJoin:
			p := rec.Player
			if err := game.Join(gameserver.Player{Slot: p.Slot, Team: p.Team, Name: p.Name}); err != nil {
				refused = true
				fail(fmt.Sprintf("tick %d: join of slot %d refused: %v", tick, p.Slot, err))
			} else {
				left[p.Slot] = nil
			}
		case replay.KindLeave:
			left[rec.Player.Slot] = scoreOf(game, rec.Player.Slot)
			game.Leave(rec.Player.Slot)
		case replay.KindInputs:
			for _, in := range rec.Inputs {
				s := &slots[in.Slot]
				s.present, s.repeated = !in.Absent, in.Repeated
				s.data = append(s.data[:0], in.Data...)
			}
		case replay.KindChecksum:
			rep.Checksums++
			if got := sum.Checksum(); got != rec.Checksum {
				if rep.ChecksumsOK {
					rep.ChecksumsOK, rep.FirstMismatch = false, rec.Tick
					fail(fmt.Sprintf("checksum at tick %d: simulated %016x, recorded %016x", rec.Tick, got, rec.Checksum))
				}
			}
		case replay.KindEnd:
			if _, err := rd.Next(); err != io.EOF {
				return Report{}, fmt.Errorf("verify: after the end record: %w", err)
			}
			rep.Ticks = tick
			rep.DurationS = float64(rec.Tick) / float64(h.TickRate)
			got := result(game, rec.Result.Reason)
			got.Scores = withDeparted(got.Scores, left[:])
			rep.ResultOK = !refused && overAt <= rec.Tick && equalResults(got, rec.Result)
			if !rep.ResultOK {
				fail(fmt.Sprintf("result: simulated %+v, recorded %+v", got, rec.Result))
			}
			rep.SimS = time.Since(start).Seconds()
			return rep, nil
		}
	}
}

// result is the result the server reports when the match ends: the game's own if it is over,
// else the server's reason with the scoreboard so far.
func result(g gameserver.Game, reason string) wire.Result {
	if res, over := g.Over(); over {
		return res
	}
	res := wire.Result{Reason: reason}
	if sc, ok := g.(gameserver.Scorer); ok {
		res.Scores = sc.Scores()
	}
	return res
}

// scoreOf returns slot's row of the game's scoreboard, marked Left, or nil (as the server
// keeps it when a player leaves).
func scoreOf(g gameserver.Game, slot uint8) *wire.PlayerScore {
	sc, ok := g.(gameserver.Scorer)
	if !ok {
		return nil
	}
	for _, row := range sc.Scores() {
		if row.Slot == slot {
			row.Left = true
			return &row
		}
	}
	return nil
}

// withDeparted adds the rows of the players who left and did not come back, in slot order,
// as the server does to a final result.
func withDeparted(scores []wire.PlayerScore, left []*wire.PlayerScore) []wire.PlayerScore {
	scores = slices.Clip(scores)
	for _, l := range left {
		if l == nil || slices.ContainsFunc(scores, func(p wire.PlayerScore) bool { return p.Slot == l.Slot }) {
			continue
		}
		scores = append(scores, *l)
	}
	return scores
}

// equalResults compares results as a replay stores them: no scores and an empty list are the
// same, and strings are cut at replay.MaxNameBytes.
func equalResults(sim, rec wire.Result) bool {
	norm := func(r wire.Result) wire.Result {
		out := wire.Result{Reason: cut(r.Reason)}
		for _, s := range r.Scores {
			s.Name = cut(s.Name)
			out.Scores = append(out.Scores, s)
		}
		return out
	}
	return reflect.DeepEqual(norm(sim), norm(rec))
}

func cut(s string) string {
	if len(s) > replay.MaxNameBytes {
		return s[:replay.MaxNameBytes]
	}
	return s
}

// Bytes verifies a replay held in memory.
func Bytes(file []byte, games Games) (Report, error) { return Verify(bytes.NewReader(file), games) }
