package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/netsim"
)

// Config configures a fleet of bots ([Run]). The zero value is one bot for 30 s against the
// lobby at 127.0.0.1:7000.
type Config struct {
	Lobby    string        // lobby TCP address; default 127.0.0.1:7000
	N        int           // bots; default 1
	Duration time.Duration // how long each bot plays once in its match; default 30 s
	Mode     string        // quick match mode; default "ffa"
	// Impairment of each bot's UDP socket, both directions (package netsim); Seed makes it
	// reproducible (bot i uses Seed+i).
	Loss, Dup, Reorder float64
	Latency, Jitter    time.Duration
	Seed               int64
	// Transport, if set ("udp" or "kcp"), is the game transport the bots insist on: a match on
	// a server running the other one fails (client.ErrTransportMismatch). Empty: whatever the
	// lobby announces in match_found. KCP configures the KCP transport (FEC must match the
	// server's).
	Transport string
	KCP       kcp.ClientConfig
	// Matchmaker opens a lobby session per bot; default DialLobby.
	Matchmaker func(ctx context.Context, addr string) (Matchmaker, error)
	// ListenPacket opens each bot's socket; default UDP on 127.0.0.1:0.
	ListenPacket func(addr string) (net.PacketConn, error)
	// Progress, if set, gets a progress line every ProgressEvery (default 5 s).
	Progress      io.Writer
	ProgressEvery time.Duration
	// ChatEvery is how often each bot sends a chat line (the reliable-channel probe); default 2 s.
	ChatEvery time.Duration
	// MatchTimeout bounds the time from queueing to the first server welcome; default 60 s.
	MatchTimeout time.Duration
	// Names is the bots' name prefix (bot i is Names+i); default "b" plus 4 random hex digits,
	// so runs against the same lobby do not collide with bots still seated in earlier matches.
	Names string
	// UpdateRate is how many times per second each bot updates its connection (samples its
	// brain and runs the input ticks due, sent as one packet); default 30, the server's default
	// snapshot rate. A person's client updates every frame; a thousand bots at 30 Hz cost half
	// the wake-ups and packets of 60 Hz and send the same inputs.
	UpdateRate int
	// DialRate bounds how many game connections the fleet starts per second; default 80.
	// netcode/secure's server accepts 8×32 handshake packets per second from one host, and a
	// fleet dials from one address: faster, most handshakes of a large fleet would be dropped
	// and time out.
	DialRate int
	// Spectators is how many more bots watch the running matches as spectators (spectate.go);
	// they need the real lobby (Lobby), not Matchmaker.
	Spectators int
	// Conn tunes each bot's game connection.
	Conn   client.ConnConfig
	Logger *slog.Logger
}

// Summary is what a fleet run measured; its JSON is the -json output of cmd/bots.
type Summary struct {
	Bots              int     `json:"bots"`
	Matched           int     `json:"matched"`
	Disconnects       int     `json:"disconnects"`
	Failed            int     `json:"failed"` // bots that never reached a match
	DurationS         float64 `json:"duration_s"`
	SnapshotRateHz    float64 `json:"snapshot_rate_hz"`
	InputDelivery     float64 `json:"input_delivery"`
	ReliableSent      uint64  `json:"reliable_sent"`
	ReliableDelivered uint64  `json:"reliable_delivered"`
	ReliableInOrder   bool    `json:"reliable_in_order"`
	DownBytesPerS     float64 `json:"down_bytes_per_s"`
	UpBytesPerS       float64 `json:"up_bytes_per_s"`
	RTTMsP50          float64 `json:"rtt_ms_p50"`
	RTTMsP99          float64 `json:"rtt_ms_p99"`
	StateAgeMsP50     float64 `json:"state_age_ms_p50"`
	StateAgeMsP99     float64 `json:"state_age_ms_p99"`
	PredictionErrP99  float64 `json:"prediction_error_p99"`
	MatchesEnded      int     `json:"matches_ended"`
	// Spectating bots (Config.Spectators): how many watched (welcomed, got snapshots), how
	// many did not, and per spectator the snapshots per second from its first to its last
	// and the bytes per second on the wire over the same span.
	Spectators              int      `json:"spectators"`
	SpectatorsFailed        int      `json:"spectators_failed"`
	SpectatorSnapshotRateHz float64  `json:"spectator_snapshot_rate_hz"`
	SpectatorDownBytesPerS  float64  `json:"spectator_down_bytes_per_s"`
	SpectatorUpBytesPerS    float64  `json:"spectator_up_bytes_per_s"`
	Errors                  []string `json:"errors,omitempty"` // the first few failures, for the log
}

// OK reports whether every bot reached a match and none was disconnected without cause.
func (s *Summary) OK() bool {
	return s.Matched == s.Bots && s.Disconnects == 0 && s.Failed == 0 && s.SpectatorsFailed == 0
}

// JSON returns the summary as one line of JSON.
func (s *Summary) JSON() []byte {
	b, _ := json.Marshal(s)
	return b
}

// String is the human-readable summary.
func (s *Summary) String() string {
	return fmt.Sprintf(`bots %d, matched %d, disconnects %d, failed %d, %.1f s
snapshots   %.1f Hz per bot
inputs      %.4f delivered (server simulated the real input)
reliable    %d/%d delivered, in order: %v
bandwidth   down %.0f B/s, up %.0f B/s per bot
rtt         p50 %.1f ms, p99 %.1f ms
state age   p50 %.0f ms, p99 %.0f ms
prediction  error p99 %.2f px
matches     %d ended while playing
spectators  %d watched, %d failed, %.1f Hz, down %.0f B/s, up %.0f B/s each`,
		s.Bots, s.Matched, s.Disconnects, s.Failed, s.DurationS, s.SnapshotRateHz, s.InputDelivery,
		s.ReliableDelivered, s.ReliableSent, s.ReliableInOrder, s.DownBytesPerS, s.UpBytesPerS,
		s.RTTMsP50, s.RTTMsP99, s.StateAgeMsP50, s.StateAgeMsP99, s.PredictionErrP99, s.MatchesEnded,
		s.Spectators, s.SpectatorsFailed, s.SpectatorSnapshotRateHz, s.SpectatorDownBytesPerS, s.SpectatorUpBytesPerS)
}

func (c *Config) defaults() {
	if c.Lobby == "" {
		c.Lobby = "127.0.0.1:7000"
	}
	if c.N <= 0 {
		c.N = 1
	}
	if c.Duration <= 0 {
		c.Duration = 30 * time.Second
	}
	if c.Mode == "" {
		c.Mode = "ffa"
	}
	if c.Matchmaker == nil {
		c.Matchmaker = DialLobby
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.ChatEvery <= 0 {
		c.ChatEvery = 2 * time.Second
	}
	if c.MatchTimeout <= 0 {
		c.MatchTimeout = 60 * time.Second
	}
	if c.Names == "" {
		c.Names = fmt.Sprintf("b%04x-", rand.Uint32()&0xffff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.UpdateRate <= 0 {
		c.UpdateRate = 30
	}
	if c.DialRate <= 0 {
		c.DialRate = 80
	}
}

// pacer spaces events (game dials) at least every apart, across goroutines.
type pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// wait blocks until the caller's turn, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// botResult is one bot's outcome.
type botResult struct {
	matched, disconnected, ended bool
	err                          error
	rep                          client.Report
	rtts                         client.Histogram
	playing                      time.Duration // from welcome to the end
}

// fleet state visible to the progress reporter.
type counters struct {
	queued, playing, done, failed atomic.Int64
}

// Run plays cfg.N bots through the lobby and the game server for cfg.Duration and returns what
// they measured. It returns an error only for a bad configuration; bots that fail are counted
// in the Summary (see [Summary.OK]).
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg.defaults()
	switch cfg.Transport {
	case "", client.TransportUDP, client.TransportKCP:
	default:
		return Summary{}, fmt.Errorf("bot: unknown transport %q (udp or kcp)", cfg.Transport)
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := newTickHub(time.Second / time.Duration(cfg.UpdateRate))
	defer hub.stop()
	dials := &pacer{every: time.Second / time.Duration(cfg.DialRate)}

	var cnt counters
	results := make([]botResult, cfg.N)
	var wg sync.WaitGroup
	for i := range cfg.N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runBot(ctx, &cfg, i, hub, dials, &cnt)
		}()
	}
	var spect []spectatorResult
	spectDone := make(chan struct{})
	if cfg.Spectators > 0 {
		// The spectators watch while the players play: they stop when the players are done.
		sctx, stopSpect := context.WithCancel(ctx)
		defer stopSpect()
		go func() {
			defer close(spectDone)
			spect = runSpectators(sctx, &cfg, hub, dials)
		}()
		go func() {
			wg.Wait()
			stopSpect()
		}()
	} else {
		close(spectDone)
	}
	progressDone := make(chan struct{})
	progressStopped := make(chan struct{})
	go func() {
		defer close(progressStopped)
		if cfg.Progress == nil {
			<-progressDone
			return
		}
		t := time.NewTicker(cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case now := <-t.C:
				fmt.Fprintf(cfg.Progress, "bots: %5.0fs queued %d playing %d done %d failed %d\n",
					now.Sub(start).Seconds(), cnt.queued.Load(), cnt.playing.Load(), cnt.done.Load(), cnt.failed.Load())
			}
		}
	}()
	wg.Wait()
	<-spectDone
	close(progressDone)
	<-progressStopped
	sum := summarize(results, time.Since(start))
	summarizeSpectators(&sum, spect)
	return sum, nil
}

// summarize aggregates the bots' results.
func summarize(results []botResult, elapsed time.Duration) Summary {
	s := Summary{Bots: len(results), DurationS: elapsed.Seconds(), ReliableInOrder: true}
	var rtts, ages, perr client.Histogram
	var inReal, inTicks uint64
	var rateSum, downSum, upSum float64
	n := 0
	for _, r := range results {
		if r.err != nil && len(s.Errors) < 5 {
			s.Errors = append(s.Errors, r.err.Error())
		}
		if !r.matched {
			s.Failed++
			continue
		}
		s.Matched++
		if r.disconnected {
			s.Disconnects++
		}
		if r.ended {
			s.MatchesEnded++
		}
		s.ReliableSent += r.rep.ReliableSent
		s.ReliableDelivered += r.rep.ReliableDelivered
		s.ReliableInOrder = s.ReliableInOrder && r.rep.ReliableInOrder
		inReal += r.rep.InputReal
		inTicks += r.rep.InputTicks
		rtts.Merge(&r.rtts)
		ages.Merge(&r.rep.StateAges)
		perr.Merge(&r.rep.PredictionErrors)
		if r.playing > 0 {
			n++
			sec := r.playing.Seconds()
			downSum += float64(r.rep.BytesIn) / sec
			upSum += float64(r.rep.BytesOut) / sec
			rateSum += float64(r.rep.SnapshotsReceived) / sec
		}
	}
	if n > 0 {
		s.SnapshotRateHz = rateSum / float64(n)
		s.DownBytesPerS = downSum / float64(n)
		s.UpBytesPerS = upSum / float64(n)
	}
	if inTicks > 0 {
		s.InputDelivery = float64(inReal) / float64(inTicks)
	}
	s.RTTMsP50, s.RTTMsP99 = rtts.Quantile(0.5), rtts.Quantile(0.99)
	s.StateAgeMsP50, s.StateAgeMsP99 = ages.Quantile(0.5), ages.Quantile(0.99)
	s.PredictionErrP99 = perr.Quantile(0.99)
	return s
}

// runBot plays one bot: lobby, quick match, game connection, brain, until deadline.
func runBot(ctx context.Context, cfg *Config, i int, hub *tickHub, dials *pacer, cnt *counters) (res botResult) {
	name := fmt.Sprintf("%s%d", cfg.Names, i)
	cnt.queued.Add(1)
	defer func() {
		if res.matched {
			cnt.playing.Add(-1)
			cnt.done.Add(1)
		} else {
			cnt.queued.Add(-1)
			cnt.failed.Add(1)
		}
	}()
	mctx, cancel := context.WithTimeout(ctx, cfg.MatchTimeout)
	defer cancel()
	mm, err := cfg.Matchmaker(mctx, cfg.Lobby)
	if err != nil {
		res.err = fmt.Errorf("%s: %w", name, err)
		return res
	}
	defer mm.Close()
	m, err := mm.QuickMatch(mctx, name, cfg.Mode)
	if err != nil {
		res.err = fmt.Errorf("%s: quick match: %w", name, err)
		return res
	}
	dc := client.DialConfig{Conn: cfg.Conn, ListenPacket: cfg.ListenPacket,
		Transport: m.Transport, Force: cfg.Transport, KCP: cfg.KCP}
	if cfg.Loss > 0 || cfg.Dup > 0 || cfg.Reorder > 0 || cfg.Latency > 0 || cfg.Jitter > 0 {
		// Split the one-way latency over both directions so RTT grows by 2×Latency.
		im := netsim.Impairment{Loss: cfg.Loss, Duplicate: cfg.Dup, Reorder: cfg.Reorder, Latency: cfg.Latency, Jitter: cfg.Jitter}
		dc.Impair = &netsim.Config{Send: im, Recv: im, Seed: cfg.Seed + int64(i)}
	}
	if err := dials.wait(mctx); err != nil {
		res.err = fmt.Errorf("%s: waiting to dial: %w", name, err)
		return res
	}
	conn, err := client.DialGame(mctx, m.Token, dc)
	if err != nil {
		res.err = fmt.Errorf("%s: %w", name, err)
		return res
	}
	defer conn.Close()

	brain := NewBrain(BrainConfig{Seed: uint64(cfg.Seed)*1000003 + uint64(i)})
	var sc client.Scene
	var last client.Controls
	updates := 0
	var welcomedAt, lastRTT, lastChat time.Time
	chatN := 0
	dialed := time.Now()
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	played, noWelcome := false, false
	input := func(now time.Time) client.Controls {
		if welcomedAt.IsZero() {
			if _, ok := conn.Welcome(); !ok {
				if now.Sub(dialed) > cfg.MatchTimeout {
					noWelcome = true
					pcancel()
				}
				return client.Controls{}
			}
			welcomedAt, lastChat = now, now
			res.matched = true
			cnt.queued.Add(-1)
			cnt.playing.Add(1)
		}
		if now.Sub(welcomedAt) >= cfg.Duration {
			played = true
			pcancel()
			return client.Controls{}
		}
		if now.Sub(lastRTT) >= time.Second {
			lastRTT = now
			if st := conn.Stats(now); st.RTT > 0 {
				res.rtts.Add(float64(st.RTT) / float64(time.Millisecond))
			}
		}
		// No new chat line in the last second, so every line sent can make its round trip.
		if now.Sub(lastChat) >= cfg.ChatEvery && now.Sub(welcomedAt) < cfg.Duration-time.Second {
			lastChat = now
			chatN++
			if err := conn.SendChat(fmt.Sprintf("%s #%d", name, chatN)); err != nil {
				cfg.Logger.Debug("chat", "bot", name, "err", err)
			}
		}
		// The brain looks at the world every other update (15 Hz): a person reacts no
		// faster, and the scene is the largest part of a thousand bots' CPU after the
		// network itself. The controls of the last look repeat in between.
		updates++
		if updates%2 == 1 {
			conn.World(now, &sc)
			last = brain.Think(ViewOf(&sc))
		}
		return last
	}
	ticks := hub.subscribe()
	defer hub.unsubscribe(ticks)
	err = conn.Run(pctx, ticks, input)
	end := time.Now()
	res.rep = conn.Report()
	if !welcomedAt.IsZero() {
		res.playing = end.Sub(welcomedAt)
	}
	switch {
	case err == nil:
		res.ended = true
	case played:
		// played the whole duration
	case noWelcome:
		res.err = fmt.Errorf("%s: no welcome from the game server within %v", name, cfg.MatchTimeout)
	case errors.Is(err, client.ErrDisconnected):
		res.disconnected = true
		res.err = fmt.Errorf("%s: %w", name, err)
	default:
		if res.matched {
			res.disconnected = true
		}
		res.err = fmt.Errorf("%s: %w", name, err)
	}
	return res
}

// ViewOf is what a bot sees in a scene: itself, the players not on its team (everyone in
// free-for-all), the walls.
func ViewOf(sc *client.Scene) View {
	v := View{World: sc.World, Walls: sc.Walls}
	team, local := uint8(0), false
	for _, p := range sc.Players {
		if p.Local {
			v.Self, v.SelfAlive, v.Radius = p.Pos, p.Alive, p.Radius
			team, local = p.Team, true
		}
	}
	for _, p := range sc.Players {
		if p.Local || (sc.Teams > 1 && local && p.Team == team) {
			continue
		}
		v.Enemies = append(v.Enemies, Enemy{Slot: p.Slot, Pos: p.Pos, Alive: p.Alive})
	}
	return v
}

// tickHub is one ticker for every bot of the process: 1,000 bots do not need 1,000 timers.
// Each subscriber has a one-slot channel; a tick to a bot still busy with the last one is
// dropped (the connection's own accumulator catches up on the next).
type tickHub struct {
	mu   sync.Mutex
	subs map[chan time.Time]struct{}
	quit chan struct{}
	done chan struct{}
}

func newTickHub(period time.Duration) *tickHub {
	h := &tickHub{subs: map[chan time.Time]struct{}{}, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-h.quit:
				return
			case now := <-t.C:
				h.mu.Lock()
				for c := range h.subs {
					select {
					case c <- now:
					default:
					}
				}
				h.mu.Unlock()
			}
		}
	}()
	return h
}

func (h *tickHub) subscribe() chan time.Time {
	c := make(chan time.Time, 1)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *tickHub) unsubscribe(c chan time.Time) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

func (h *tickHub) stop() {
	select {
	case <-h.quit:
	default:
		close(h.quit)
	}
	<-h.done
}

// Autoplay returns a [client.SessionConfig.Autoplay] that lets a [Brain] play each match of a
// person's client (cmd/client -autoplay).
func Autoplay(seed uint64) func(c *client.Conn) client.InputSource {
	return func(c *client.Conn) client.InputSource {
		b := NewBrain(BrainConfig{Seed: seed})
		var sc client.Scene
		return func(now time.Time) client.Controls {
			c.World(now, &sc)
			return b.Think(ViewOf(&sc))
		}
	}
}
