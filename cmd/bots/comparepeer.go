package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/skirmish-go/skirmish/cmd/internal/peercmp"
)

// runComparePeer is -compare-peer; it returns the exit code.
func runComparePeer(ctx context.Context, players string, secs int, dir, game, arenaMode string, jsonOut bool) int {
	var ns []int
	for _, f := range strings.Split(players, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			fmt.Fprintf(os.Stderr, "bots: -peer-n %q: want player counts 1..64, comma-separated\n", players)
			return 2
		}
		ns = append(ns, n)
	}
	mode := game
	if game == "arena" {
		mode = arenaMode
	}
	o := peercmp.Options{Players: ns, Seconds: secs, PeerDir: dir, Game: game, Mode: mode, Progress: os.Stderr}
	if err := o.Check(); err != nil {
		fmt.Fprintln(os.Stderr, "bots: -compare-peer:", err)
		return 2
	}
	rows, err := peercmp.Run(ctx, o)
	if len(rows) > 0 {
		fmt.Printf("%s on Skirmish (cmd/server -game %s) vs the floor (cmd/floor) vs Colyseus, %d s each, %d Hz updates; %s/%s, %d CPUs\n",
			game, game, secs, 30, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
		peercmp.WriteTable(os.Stdout, rows)
		if jsonOut {
			fmt.Println(string(peercmp.JSON(secs, rows)))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bots: -compare-peer:", err)
		return 2
	}
	return 0
}
