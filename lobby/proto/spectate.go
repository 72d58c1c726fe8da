package proto

// Watching running matches (see PROTOCOL.md, "Spectators").
const (
	// Player requests.
	TypeLiveList = "live_list" // → live_matches
	TypeSpectate = "spectate"  // → spectate (a spectator's connect token)

	// Lobby → player replies.
	TypeLiveMatches = "live_matches"
)

// Error codes of spectate.
const (
	CodeSpectatorsFull = "spectators_full" // the match has as many spectators as its server admits
)

// Limits of the live summaries a game server heartbeats and the lobby lists.
const (
	MaxLivePerServer = 64  // matches per heartbeat; a server running more reports the first 64
	MaxLiveScores    = 16  // scoreboard lines per match (the best)
	MaxLiveList      = 100 // matches in one live_matches reply
)

// LiveMatch is a running match as players browse it to watch: a game server reports these in
// its heartbeat (field "live"), and the lobby lists them in live_matches.
type LiveMatch struct {
	MatchID       string      `json:"match_id"`
	Mode          string      `json:"mode"`
	Region        string      `json:"region,omitempty"`
	Players       int         `json:"players"`     // connected now
	MaxPlayers    int         `json:"max_players"` // seats the match was made for
	Spectators    int         `json:"spectators,omitempty"`
	MaxSpectators int         `json:"max_spectators,omitempty"` // per match on its server; 0: unknown
	ElapsedMS     int64       `json:"elapsed_ms"`               // match time so far
	Scores        []LiveScore `json:"scores,omitempty"`         // best first
}

// LiveScore is one line of a running match's scoreboard.
type LiveScore struct {
	Name  string `json:"name"`
	Team  int    `json:"team,omitempty"`
	Score int    `json:"score"`
}

// canonicalLive makes empty live lists absent, as Append writes them, so a decoded message
// equals its re-encoding.
func canonicalLive(m *Message) {
	if len(m.Live) == 0 {
		m.Live = nil
		return
	}
	for i := range m.Live {
		if len(m.Live[i].Scores) == 0 {
			m.Live[i].Scores = nil
		}
	}
}
