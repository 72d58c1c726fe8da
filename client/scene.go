package client

import "time"

// This file is the view model: plain data the client core fills and the Ebiten front end
// (package client/render) draws, once per frame. Nothing here has behaviour beyond trivial
// accessors, so the core can fill it from snapshots and events however it likes and tests can
// build one as a literal.
//
// Conventions: world units and the arena's coordinate system (origin top-left, x right, y down);
// angles in radians, 0 = +x, growing clockwise on screen (the same as [Controls.Aim]); ages
// count up from the moment a thing happened, so the renderer can fade it out.

// Scene is everything the match screen draws in one frame.
//
// Ownership: the renderer gets a *Scene from the backend once per frame and only reads it, until
// its next call. A backend that fills scenes on another goroutine keeps two and hands out the one
// it is not writing (double buffering); it never mutates a Scene the renderer holds.
type Scene struct {
	// Mode is the match's mode as the lobby named it ("ffa", "tdm", ...); shown in the HUD.
	Mode string
	// Teams is the number of teams; 0 or 1 means free-for-all (players coloured by slot).
	Teams int
	// World is the arena's size in world units; the arena spans (0,0)..World.
	World Vec
	// Walls are the arena's solid rectangles in world units.
	Walls []Wall

	Players     []ScenePlayer
	Projectiles []SceneProjectile
	Effects     []SceneEffect

	// KillFeed is newest last; the renderer shows the last few and fades them by Age.
	KillFeed []KillFeedEntry
	// Chat is the match chat, newest last.
	Chat []ChatLine

	// TimeLeft is the match clock; ScoreLimit the score that ends it (0 = none).
	TimeLeft   time.Duration
	ScoreLimit int
	// TeamScores[t] is team t's score in team modes; empty in free-for-all.
	TeamScores []int

	// MatchOver switches the renderer to the results screen, showing Final (ranked best
	// first by [CompareScores], winner first, players who left included and marked) and
	// EndReason ("score_limit", "time_limit", "players_left", ...).
	MatchOver bool
	Final     []ScoreLine
	EndReason string

	// Net is the live connection quality, shown by the net graph (F3).
	Net NetStats

	// Spectator: we watch the match (no Local player); the camera follows the Followed one.
	Spectator bool
	// Silence is how long the game server has sent nothing (0 while packets flow, and
	// before the first): a frozen picture is explained ("connection lost") past a second.
	Silence time.Duration
	// Alone is true while every other player who sat in the match has left it; the match
	// ends shortly (the server's alone timeout) and the player may leave at once.
	Alone bool
}

// teamTotals appends each of teams teams' total score in lines to dst: the team scores of a
// final scoreboard, which the game server's result decides rather than the last snapshot.
func teamTotals(dst []int, teams int, lines []ScoreLine) []int {
	start := len(dst)
	for range teams {
		dst = append(dst, 0)
	}
	for _, l := range lines {
		if int(l.Team) < teams {
			dst[start+int(l.Team)] += l.Score
		}
	}
	return dst
}

// Wall is a solid axis-aligned rectangle of the arena, in world units.
type Wall struct{ X, Y, W, H float64 }

// ScenePlayer is one player as drawn this frame (the local player predicted, the others
// interpolated).
type ScenePlayer struct {
	Slot uint8
	Name string
	Team uint8
	Pos  Vec
	// Angle is where the player aims (radians, 0 = +x, clockwise).
	Angle float64
	// Radius of the player's body in world units; 0 means the default (16).
	Radius    float64
	Health    int
	MaxHealth int
	Alive     bool
	// RespawnIn is the time until a dead player reappears (0 = unknown or alive).
	RespawnIn time.Duration
	Score     int
	Kills     int
	Deaths    int
	// Ping is this player's round trip as the server sees it (0 = unknown); scoreboard only.
	Ping time.Duration
	// Local marks the player this client controls; the camera follows it.
	Local bool
	// Followed marks, for a spectator, the player the camera follows.
	Followed bool
}

// SceneProjectile is one projectile in flight.
type SceneProjectile struct {
	Pos   Vec
	Angle float64 // direction of flight
	// Team (or, in free-for-all, the shooter's slot) picks the projectile's colour.
	Team uint8
	// Owner is the shooter's slot.
	Owner uint8
}

// EffectKind says what a SceneEffect shows.
type EffectKind uint8

// The effects the renderer knows.
const (
	// EffectHit is a projectile or beam hitting a player or a wall at Pos.
	EffectHit EffectKind = iota
	// EffectDeath is a player dying at Pos.
	EffectDeath
	// EffectBeam is a hitscan shot from Pos to To.
	EffectBeam
	// EffectSpawn is a player appearing at Pos.
	EffectSpawn
)

// SceneEffect is a short-lived visual: a hit spark, a death burst, a hitscan beam.
// The backend keeps it in the scene while Age < Life and removes it afterwards.
type SceneEffect struct {
	Kind EffectKind
	Pos  Vec
	To   Vec // end of a beam; unused otherwise
	// Team (or slot in free-for-all) colours the effect.
	Team uint8
	// Age is how long ago it happened; Life how long it lasts (0 = the renderer's default).
	Age, Life time.Duration
}

// KillFeedEntry is one line of the kill feed: Killer fragged Victim.
type KillFeedEntry struct {
	Killer, Victim         string
	KillerTeam, VictimTeam uint8
	// Weapon names how ("bolt", "rail"); empty for none.
	Weapon string
	Age    time.Duration
}

// ChatLine is one line of chat in the lobby, a room or a match.
type ChatLine struct {
	From string
	Text string
	// System marks announcements (joins, leaves, match start) with no speaker.
	System bool
	Age    time.Duration
}

// ScoreLine is one row of a scoreboard.
type ScoreLine struct {
	Slot   uint8
	Team   uint8
	Name   string
	Score  int
	Kills  int
	Deaths int
	Ping   time.Duration
	Local  bool
	// Left marks a player who left the match before it ended (results only): their score
	// stays on the table.
	Left bool
}

// NetStats is the connection quality as the client core measures it.
type NetStats struct {
	RTT time.Duration
	// Loss is the fraction of packets lost, 0..1.
	Loss float64
	// KbpsIn and KbpsOut are kilobits per second on the wire, received and sent.
	KbpsIn, KbpsOut float64
	// SnapshotRate is snapshots received per second.
	SnapshotRate float64
	// InterpDelay is how far behind the newest snapshot remote players are drawn.
	InterpDelay time.Duration
	// PredictionError is the size of the last correction of the local player, in world units.
	PredictionError float64
}

// LobbyStage says which screen the player is on outside a match.
type LobbyStage uint8

// Lobby stages.
const (
	// StageOffline: not connected; the name entry and connect screen.
	StageOffline LobbyStage = iota
	// StageConnecting: a connection to the lobby is being made.
	StageConnecting
	// StageLobby: connected; the lobby screen (quick match, rooms, chat).
	StageLobby
	// StageMatch: a match is running (or just ended); the renderer draws Backend.Scene.
	StageMatch
)

// LobbyView is everything the name entry, connect and lobby screens draw.
type LobbyView struct {
	Stage LobbyStage
	// Status is one line for the player: what is happening or what went wrong.
	Status string
	// Error marks Status as a failure (drawn in red).
	Error bool
	// PlayerName is the name the lobby knows us by (empty before connecting).
	PlayerName string
	// Modes are the quick match modes offered, e.g. "ffa", "tdm"; first is the default.
	Modes []string
	// Rooms is the public room list.
	Rooms []RoomSummary
	// Room is the room we are in, or nil.
	Room *RoomView
	// Queue is the matchmaking queue state.
	Queue QueueState
	// Chat is the lobby-wide chat, newest last (room chat is in Room.Chat). The Skirmish
	// lobby relays chat within rooms only, so the session leaves it empty.
	Chat []ChatLine
	// Link is the lobby connection's state: LinkUp, or LinkReconnecting after it dropped
	// while the session dials it again on its own (LinkAttempt counts the tries).
	Link        LinkState
	LinkAttempt int
	// MatchAttempt, while in StageMatch with no scene to draw, is the attempt (1, 2, ...) at
	// getting back into the match after its connection was lost, of MatchAttempts; 0 while
	// joining it the first time.
	MatchAttempt, MatchAttempts int
	// Live is the list of running matches to watch (Session.RefreshLive), longest running first.
	Live []LiveSummary
}

// LiveSummary is one running match in the Watch list.
type LiveSummary struct {
	MatchID    string
	Mode       string
	Players    int
	MaxPlayers int
	Spectators int
	Elapsed    time.Duration
	// Leaders is the top of its scoreboard, e.g. "ada 7 · bob 5".
	Leaders string
}

// LinkState is the state of the lobby connection.
type LinkState uint8

// Lobby link states.
const (
	// LinkUp: connected (or, in StageOffline and StageConnecting, not yet).
	LinkUp LinkState = iota
	// LinkReconnecting: the connection dropped and the session is dialling it again; the
	// lobby's actions wait for it.
	LinkReconnecting
)

// RoomSummary is one line of the public room list.
type RoomSummary struct {
	Code       string
	Name       string
	Mode       string
	Players    int
	MaxPlayers int
	// InMatch is true while the room's match is running.
	InMatch bool
}

// RoomView is the room we are in.
type RoomView struct {
	Code       string
	Name       string
	Mode       string
	Private    bool
	MaxPlayers int
	Members    []RoomMember
	Chat       []ChatLine
}

// RoomMember is one player in a room.
type RoomMember struct {
	Name  string
	Team  uint8
	Ready bool
	Host  bool
	// You marks ourselves.
	You bool
}

// QueueState is our place in the matchmaking queue.
type QueueState struct {
	Queued bool
	Mode   string
	// Waited is how long we have been queued.
	Waited time.Duration
	// Found and Needed are players found so far and needed to start (0 = unknown).
	Found, Needed int
}
