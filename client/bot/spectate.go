package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Spectating bots (Config.Spectators): each opens its own lobby session, waits for running
// matches with players connected to be listed (live_list), asks to spectate one (spread
// round-robin over those), joins it with the spectator's token and watches until the players are done or
// Config.Duration has passed. Their snapshot rate is measured from their first snapshot (the
// server sends a spectator the match some seconds late) to their last.

// liveListPoll is how often a spectating bot asks the lobby for running matches while none is
// listed yet.
const liveListPoll = 250 * time.Millisecond

// spectatorResult is one spectating bot's outcome.
type spectatorResult struct {
	watched bool // welcomed and received snapshots
	err     error
	rep     client.Report
}

// runSpectators runs cfg.Spectators spectating bots until each has watched cfg.Duration or
// ctx ends (the players are done).
func runSpectators(ctx context.Context, cfg *Config, hub *tickHub, dials *pacer) []spectatorResult {
	results := make([]spectatorResult, cfg.Spectators)
	var wg sync.WaitGroup
	for i := range cfg.Spectators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runSpectator(ctx, cfg, i, hub, dials)
		}()
	}
	wg.Wait()
	return results
}

func runSpectator(ctx context.Context, cfg *Config, i int, hub *tickHub, dials *pacer) (res spectatorResult) {
	name := fmt.Sprintf("%sw%d", cfg.Names, i)
	mctx, cancel := context.WithTimeout(ctx, cfg.MatchTimeout)
	defer cancel()
	lc, err := lobbyclient.Dial(mctx, cfg.Lobby, nil)
	if err != nil {
		res.err = fmt.Errorf("%s: dial lobby: %w", name, err)
		return res
	}
	defer lc.Close()
	go func() { // a lobbyclient's events must be read
		for range lc.Events() {
		}
	}()
	if _, err := lc.Hello(mctx, name); err != nil {
		res.err = fmt.Errorf("%s: hello: %w", name, err)
		return res
	}
	var live []proto.LiveMatch
	for {
		all, err := lc.LiveMatches(mctx, "")
		if err != nil {
			res.err = fmt.Errorf("%s: live list: %w", name, err)
			return res
		}
		// Matches with players connected: a match whose players all left (an earlier run's)
		// runs on empty until the server's timeout.
		live = live[:0]
		for _, m := range all {
			if m.Players > 0 {
				live = append(live, m)
			}
		}
		if len(live) > 0 {
			break
		}
		select {
		case <-mctx.Done():
			res.err = fmt.Errorf("%s: no running match to watch: %w", name, mctx.Err())
			return res
		case <-time.After(liveListPoll):
		}
	}
	mf, err := lc.Spectate(mctx, live[i%len(live)].MatchID)
	if err != nil {
		res.err = fmt.Errorf("%s: spectate: %w", name, err)
		return res
	}
	if err := dials.wait(mctx); err != nil {
		res.err = fmt.Errorf("%s: waiting to dial: %w", name, err)
		return res
	}
	dc := client.DialConfig{Conn: cfg.Conn, ListenPacket: cfg.ListenPacket, Transport: mf.Transport, Force: cfg.Transport,
		KCP: cfg.KCP}
	conn, err := client.DialGame(mctx, mf.Token, dc)
	if err != nil {
		res.err = fmt.Errorf("%s: %w", name, err)
		return res
	}
	defer conn.Close()
	var welcomedAt time.Time
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	input := func(now time.Time) client.Controls {
		if welcomedAt.IsZero() {
			if _, ok := conn.Welcome(); ok {
				welcomedAt = now
			}
		} else if now.Sub(welcomedAt) >= cfg.Duration {
			wcancel()
		}
		return client.Controls{}
	}
	ticks := hub.subscribe()
	defer hub.unsubscribe(ticks)
	err = conn.Run(wctx, ticks, input)
	res.rep = conn.Report()
	res.watched = res.rep.Welcomed && res.rep.SnapshotsReceived > 0
	if err != nil && wctx.Err() == nil {
		res.err = fmt.Errorf("%s: %w", name, err)
	}
	if err == nil && !res.watched {
		res.err = fmt.Errorf("%s: the match ended before any snapshot", name)
	}
	return res
}

// summarizeSpectators adds the spectating bots' figures to s.
func summarizeSpectators(s *Summary, results []spectatorResult) {
	var rate, down, up float64
	n := 0
	for _, r := range results {
		if r.err != nil && len(s.Errors) < 10 {
			s.Errors = append(s.Errors, r.err.Error())
		}
		if !r.watched {
			s.SpectatorsFailed++
			continue
		}
		s.Spectators++
		if span := r.rep.LastSnapshot.Sub(r.rep.FirstSnapshot).Seconds(); span > 0 {
			n++
			rate += float64(r.rep.SnapshotsReceived-1) / span
			down += float64(r.rep.BytesIn) / span
			up += float64(r.rep.BytesOut) / span
		}
	}
	if n > 0 {
		s.SpectatorSnapshotRateHz = rate / float64(n)
		s.SpectatorDownBytesPerS = down / float64(n)
		s.SpectatorUpBytesPerS = up / float64(n)
	}
}
