package lobby

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

type metrics struct {
	reg       *prometheus.Registry
	conns     prometheus.Gauge
	rejected  *prometheus.CounterVec
	messages  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	slow      prometheus.Counter
	started   *prometheus.CounterVec
	ended     *prometheus.CounterVec
	queueWait prometheus.Histogram
	queued    prometheus.Gauge
	servers   prometheus.Gauge
	matches   prometheus.Gauge
	storeUp   prometheus.Gauge
	kicked    *prometheus.CounterVec
	stateLost prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{Name: "skirmish_lobby_connections",
			Help: "Open TCP connections."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_connections_rejected_total",
			Help: "Connections refused at accept, by reason."}, []string{"reason"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_messages_total",
			Help: "Messages received, by type."}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_errors_total",
			Help: "Error replies sent, by code."}, []string{"code"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{Name: "skirmish_lobby_slow_clients_dropped_total",
			Help: "Connections dropped because their send queue was full."}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_matches_started_total",
			Help: "Matches allocated, by mode."}, []string{"mode"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_matches_ended_total",
			Help: "Matches ended, by reason."}, []string{"reason"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "skirmish_lobby_queue_wait_seconds",
			Help: "Time from queue to match_found.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "skirmish_lobby_players_queued",
			Help: "Players in all queues (last matchmaker pass)."}),
		servers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "skirmish_lobby_game_servers",
			Help: "Registered live game servers."}),
		matches: prometheus.NewGauge(prometheus.GaugeOpts{Name: "skirmish_lobby_matches_running",
			Help: "Running matches."}),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "skirmish_lobby_store_up",
			Help: "1 while the store (Redis) answers the health check, 0 while the lobby retries it."}),
		kicked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skirmish_lobby_connections_closed_total",
			Help: "Connections the lobby closed for misbehaving, by error code."}, []string{"code"}),
		stateLost: prometheus.NewCounter(prometheus.CounterOpts{Name: "skirmish_lobby_store_state_lost_total",
			Help: "Times the store was found to have lost its state (a new epoch); its sessions were closed."}),
	}
	m.storeUp.Set(1)
	m.reg.MustRegister(m.conns, m.rejected, m.messages, m.errors, m.slow, m.started, m.ended,
		m.queueWait, m.queued, m.servers, m.matches, m.storeUp, m.kicked, m.stateLost,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// knownTypes bounds the label values of messages_total: anything else counts as "unknown".
var knownTypes = map[string]bool{
	proto.TypeHello: true, proto.TypePing: true, proto.TypePresence: true, proto.TypeQueue: true,
	proto.TypeCancelQueue: true, proto.TypeRoomCreate: true, proto.TypeRoomList: true,
	proto.TypeRoomJoin: true, proto.TypeRoomLeave: true, proto.TypeRoomReady: true,
	proto.TypeRoomStart: true, proto.TypeChat: true, proto.TypeReconnect: true, proto.TypeHistory: true,
	proto.TypeAuth: true, proto.TypeHeartbeat: true, proto.TypeMatchResult: true,
}

func typeLabel(t string) string {
	if knownTypes[t] {
		return t
	}
	return "unknown"
}

// Handler serves Prometheus metrics on /metrics and health on /healthz (200 "ok" while serving,
// 503 while the store cannot be reached and once shutting down).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.shuttingDown() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if s.storeDown.Load() {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
