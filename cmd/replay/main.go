// Command replay reads the match replays a game server writes (-replay-dir on cmd/server and
// cmd/gameserver; format in package gameserver/replay).
//
//	go run ./cmd/replay -verify replays/<match_id>.replay
//	go run ./cmd/replay -info replays/<match_id>.replay
//
// -verify re-simulates the match headless with the game's own code (the games cmd/server can
// host) and checks every world checksum and the final result. It prints one JSON line —
// ticks, checksums, checksums_ok, result_ok, duration_s (the match's length), sim_s (the
// re-simulation's wall time), and on a mismatch first_mismatch_tick and problem — and exits 1
// if anything differs. -info prints the match as one JSON line: its configuration, players
// with their join and leave ticks, and the result. A file that cannot be read is a one-line
// error and exit 1.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/replay/verify"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errMismatch) {
			fmt.Fprintln(os.Stderr, "replay:", err)
		}
		os.Exit(1)
	}
}

// errMismatch is run's error when a replay did not verify (the JSON line says how).
var errMismatch = errors.New("replay did not verify")

// run is main without the process.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verifyFile := fs.String("verify", "", "re-simulate the replay `file` and check its checksums and result")
	infoFile := fs.String("info", "", "print the match in the replay `file` as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case *verifyFile != "" && *infoFile == "":
		return runVerify(*verifyFile, stdout)
	case *infoFile != "" && *verifyFile == "":
		return runInfo(*infoFile, stdout)
	}
	return errors.New("give one of -verify FILE or -info FILE")
}

// games finds a game by the name a replay records; "" is the default game.
func games(name string, tickRate int) (gameserver.GameFactory, error) {
	if name == "" {
		name = stack.DefaultGame
	}
	def, err := stack.LookupGame(name, tickRate)
	if err != nil {
		return nil, err
	}
	return def.New, nil
}

func runVerify(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := verify.Verify(f, games)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	line, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", line)
	if !rep.OK() {
		return errMismatch
	}
	return nil
}

// infoPlayer is one seat of the match as -info prints it.
type infoPlayer struct {
	Slot      uint8   `json:"slot"`
	Team      uint8   `json:"team"`
	Name      string  `json:"name"`
	JoinTick  uint32  `json:"join_tick"`
	LeaveTick *uint32 `json:"leave_tick,omitempty"` // absent: played to the end
}

// info is what -info prints.
type info struct {
	MatchID    string          `json:"match_id"`
	Game       string          `json:"game"`
	Mode       string          `json:"mode"`
	Map        string          `json:"map,omitempty"`
	Seed       uint64          `json:"seed"`
	StartMS    int64           `json:"start_ms"`
	TickRate   int             `json:"tick_rate"`
	MaxPlayers int             `json:"max_players"`
	Players    []infoPlayer    `json:"players"`
	Ticks      uint32          `json:"ticks"`
	Checksums  int             `json:"checksums"`
	Result     json.RawMessage `json:"result"`
}

func runInfo(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := replay.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h := rd.Header()
	out := info{MatchID: fmt.Sprintf("%032x", h.MatchID), Game: h.Game, Mode: h.Mode, Map: h.Map, Seed: h.Seed,
		StartMS: h.Start.UnixMilli(), TickRate: h.TickRate, MaxPlayers: h.MaxPlayers, Players: []infoPlayer{}}
	if out.Game == "" {
		out.Game = stack.DefaultGame
	}
	seated := map[uint8]int{} // slot → index in Players of its current stay
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		switch rec.Kind {
		case replay.KindJoin:
			seated[rec.Player.Slot] = len(out.Players)
			out.Players = append(out.Players, infoPlayer{Slot: rec.Player.Slot, Team: rec.Player.Team,
				Name: rec.Player.Name, JoinTick: rec.Tick})
		case replay.KindLeave:
			if i, ok := seated[rec.Player.Slot]; ok {
				tick := rec.Tick
				out.Players[i].LeaveTick = &tick
				delete(seated, rec.Player.Slot)
			}
		case replay.KindChecksum:
			out.Checksums++
		case replay.KindEnd:
			out.Ticks = rec.Tick
			if out.Result, err = json.Marshal(rec.Result); err != nil {
				return err
			}
		}
	}
	line, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", line)
	return nil
}
