package verify

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// sumGame is a tiny deterministic game: each player's score is the sum of their input bytes,
// the match is over when anyone reaches limit, and the checksum is the total.
type sumGame struct {
	limit    int
	scores   map[uint8]int
	names    map[uint8]string
	checksum bool
}

func (g *sumGame) Schema() *snapshot.Schema { return &snapshot.Schema{} }
func (g *sumGame) Join(p gameserver.Player) error {
	if _, ok := g.scores[p.Slot]; ok {
		return fmt.Errorf("slot %d taken", p.Slot)
	}
	g.scores[p.Slot], g.names[p.Slot] = 0, p.Name
	return nil
}
func (g *sumGame) Leave(slot uint8) { delete(g.scores, slot) }
func (g *sumGame) Step(in []gameserver.PlayerInput) []gameserver.Event {
	for _, pi := range in {
		for _, b := range pi.Input {
			g.scores[pi.Slot] += int(b)
		}
	}
	return nil
}
func (g *sumGame) AppendEntities(dst []snapshot.Entity) []snapshot.Entity { return dst }
func (g *sumGame) Scores() []wire.PlayerScore {
	var out []wire.PlayerScore
	for s := range uint8(8) {
		if v, ok := g.scores[s]; ok {
			out = append(out, wire.PlayerScore{Slot: s, Name: g.names[s], Score: v})
		}
	}
	return out
}
func (g *sumGame) Over() (wire.Result, bool) {
	for _, v := range g.scores {
		if v >= g.limit {
			return wire.Result{Reason: "score_limit", Scores: g.Scores()}, true
		}
	}
	return wire.Result{}, false
}

type checksumGame struct{ *sumGame }

func (g checksumGame) Checksum() uint64 {
	var t uint64
	for s, v := range g.scores {
		t += uint64(s+1) * uint64(v)
	}
	return t
}

func games(checksum bool) Games {
	return func(name string, _ int) (gameserver.GameFactory, error) {
		if name != "sum" {
			return nil, fmt.Errorf("no game %q", name)
		}
		return func(_ string, _ int, _ uint64) (gameserver.Game, error) {
			g := &sumGame{limit: 1000, scores: map[uint8]int{}, names: map[uint8]string{}}
			if checksum {
				return checksumGame{g}, nil
			}
			return g, nil
		}, nil
	}
}

// record plays the sum game as a server would: two players adding 1 and 2 per tick until the
// limit, recorded with a checksum every 10 ticks.
func record(t *testing.T, edit func(tick uint32, ins []replay.Input)) []byte {
	t.Helper()
	factory, _ := games(true)("sum", 10)
	g, _ := factory("", 2, 0)
	enc, err := replay.NewEncoder(replay.Header{Game: "sum", TickRate: 10, MaxPlayers: 2, ChecksumEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	for s := range uint8(2) {
		g.Join(gameserver.Player{Slot: s, Name: fmt.Sprint("p", s)})
		enc.Join(0, replay.Player{Slot: s, Name: fmt.Sprint("p", s)})
	}
	var tick uint32
	for {
		ins := []replay.Input{{Slot: 0, Data: []byte{1}}, {Slot: 1, Data: []byte{2}}}
		g.Step([]gameserver.PlayerInput{{Slot: 0, Input: ins[0].Data}, {Slot: 1, Input: ins[1].Data}})
		if edit != nil {
			edit(tick, ins)
		}
		enc.Tick(tick, ins)
		tick++
		if tick%10 == 0 {
			enc.Checksum(tick, g.(gameserver.Checksummer).Checksum())
		}
		if res, over := g.Over(); over {
			enc.End(tick, res)
			break
		}
	}
	var b bytes.Buffer
	if _, err := enc.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVerifyMatches(t *testing.T) {
	rep, err := Bytes(record(t, nil), games(true))
	if err != nil || !rep.OK() || rep.Ticks != 500 || rep.Checksums != 50 || rep.DurationS != 50 {
		t.Fatalf("%+v, %v", rep, err)
	}
}

// TestGameEndsEarly: recorded inputs larger than the simulation's end the game before the
// replay does; the report says so, and checksums after that point fail.
func TestGameEndsEarly(t *testing.T) {
	file := record(t, func(tick uint32, ins []replay.Input) {
		if tick == 95 {
			ins[1].Data = []byte{250} // recorded, but not what the recorded world saw
		}
	})
	rep, err := Bytes(file, games(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ChecksumsOK || rep.FirstMismatch != 100 || rep.ResultOK {
		t.Fatalf("%+v: want checksums failing from tick 100 and the result wrong", rep)
	}
}

func TestVerifyErrors(t *testing.T) {
	file := record(t, nil)
	if _, err := Bytes(file, games(false)); !errors.Is(err, ErrNoChecksum) {
		t.Errorf("game without checksums: %v", err)
	}
	if _, err := Bytes(file, func(string, int) (gameserver.GameFactory, error) {
		return nil, errors.New("unknown")
	}); err == nil {
		t.Error("unknown game accepted")
	}
	if _, err := Bytes(file[:len(file)-3], games(true)); !errors.Is(err, replay.ErrTruncated) &&
		!errors.Is(err, replay.ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
}

// TestRefusedJoinFails: a recorded join the game refuses means the simulation is not the
// recorded one, even when the numbers happen to agree.
func TestRefusedJoinFails(t *testing.T) {
	rep, err := replay.Read(bytes.NewReader(record(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	dup := replay.Record{Kind: replay.KindJoin, Tick: 0, Player: replay.Player{Slot: 1, Name: "again"}}
	rep.Records = append([]replay.Record{dup}, rep.Records...)
	var b bytes.Buffer
	if err := replay.Encode(&b, rep); err != nil {
		t.Fatal(err)
	}
	v, err := Bytes(b.Bytes(), games(true))
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || v.ResultOK || v.Problem == "" {
		t.Fatalf("%+v: want a failed verification naming the refused join", v)
	}
}
