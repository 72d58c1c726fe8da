package gameserver

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, registered on the server's own registry.
type metrics struct {
	reg *prometheus.Registry

	tickDuration    prometheus.Histogram
	players         prometheus.Gauge
	matches         prometheus.Gauge
	matchesStarted  prometheus.Counter
	matchesEnded    *prometheus.CounterVec
	packetsIn       prometheus.Counter
	packetsOut      prometheus.Counter
	bytesIn         prometheus.Counter
	bytesOut        prometheus.Counter
	droppedPayloads prometheus.Counter
	invalidPackets  prometheus.Counter
	rejected        *prometheus.CounterVec
	repeatedInputs  prometheus.Counter
	droppedInputs   prometheus.Counter
	slippedTicks    prometheus.Counter
	snapshotBytes   *prometheus.CounterVec
	snapshots       *prometheus.CounterVec

	// The children of snapshots and snapshotBytes, looked up once: WithLabelValues hashes its
	// labels on every call, which is too much for a per-client, per-snapshot counter.
	snapFull, snapDelta, snapRepeat                prometheus.Counter
	snapFullBytes, snapDeltaBytes, snapRepeatBytes prometheus.Counter
	// Spectators' delayed snapshots (spectate.go), kind "spectator".
	snapSpectator, snapSpectatorBytes prometheus.Counter
}

func newMetrics() *metrics {
	const ns, sub = "skirmish", "gameserver"
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help})
	}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "tick_duration_seconds",
			Help:    "Time one match tick took: inputs, Game.Step, snapshots and flushing every client.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2e-3, 4e-3, 8e-3, 16e-3, 33e-3},
		}),
		players: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "players", Help: "Connected players in all matches."}),
		matches: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "matches", Help: "Running matches."}),
		matchesStarted: counter("matches_started_total", "Matches started."),
		matchesEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "matches_ended_total", Help: "Matches ended, by reason."}, []string{"reason"}),
		packetsIn:       counter("packets_in_total", "Payloads received from clients (after decryption)."),
		packetsOut:      counter("packets_out_total", "Payloads sent to clients."),
		bytesIn:         counter("bytes_in_total", "Payload bytes received from clients."),
		bytesOut:        counter("bytes_out_total", "Payload bytes sent to clients."),
		droppedPayloads: counter("dropped_packets_total", "Payloads dropped because a match's inbox was full."),
		invalidPackets:  counter("invalid_packets_total", "Payloads or messages that did not parse, and bad tickets."),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "rejected_connections_total", Help: "Connections refused, by reason."}, []string{"reason"}),
		repeatedInputs: counter("repeated_inputs_total", "Ticks on which a connected player's input was missing and the last one repeated."),
		droppedInputs:  counter("dropped_inputs_total", "Inputs discarded to keep the input buffer (latency) bounded."),
		slippedTicks:   counter("slipped_ticks_total", "Ticks not run because a match fell further behind than maxCatchUpTicks."),
		snapshotBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "snapshot_bytes_total", Help: "Snapshot message bytes sent, by kind (delta or full)."}, []string{"kind"}),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "snapshots_total", Help: "Snapshots sent, by kind (delta or full)."}, []string{"kind"}),
	}
	m.reg.MustRegister(m.tickDuration, m.players, m.matches, m.matchesStarted, m.matchesEnded,
		m.packetsIn, m.packetsOut, m.bytesIn, m.bytesOut, m.droppedPayloads, m.invalidPackets,
		m.rejected, m.repeatedInputs, m.droppedInputs, m.slippedTicks, m.snapshotBytes, m.snapshots,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.snapFull, m.snapFullBytes = m.snapshots.WithLabelValues("full"), m.snapshotBytes.WithLabelValues("full")
	m.snapDelta, m.snapDeltaBytes = m.snapshots.WithLabelValues("delta"), m.snapshotBytes.WithLabelValues("delta")
	m.snapRepeat, m.snapRepeatBytes = m.snapshots.WithLabelValues("repeat"), m.snapshotBytes.WithLabelValues("repeat")
	m.snapSpectator, m.snapSpectatorBytes = m.snapshots.WithLabelValues("spectator"), m.snapshotBytes.WithLabelValues("spectator")
	return m
}

// tickWindow keeps the last tickWindowSize tick durations of all matches for /status's p99.
const tickWindowSize = 2048

type tickWindow struct {
	mu    sync.Mutex
	d     [tickWindowSize]time.Duration
	count int
}

func (w *tickWindow) add(d time.Duration) {
	w.mu.Lock()
	w.d[w.count%tickWindowSize] = d
	w.count++
	w.mu.Unlock()
}

// p99 returns the 99th percentile of the window, zero when empty.
func (w *tickWindow) p99() time.Duration {
	w.mu.Lock()
	n := min(w.count, tickWindowSize)
	s := slices.Clone(w.d[:n])
	w.mu.Unlock()
	if n == 0 {
		return 0
	}
	slices.Sort(s)
	return s[(n*99-1)/100]
}
