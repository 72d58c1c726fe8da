package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Config configures a demo Backend. The zero value is a usable default.
type Config struct {
	// Mode is the mode a match runs in when none is asked for: "teams" (default, two teams) or "ffa".
	Mode string
	// Players is the number of players in a match, the local one included; default 8.
	Players int
	// Seed makes the bots' choices repeatable; runs with the same seed and clock are identical.
	Seed uint64
	// MatchLength is the match clock; default 5 minutes. ScoreLimit ends it early; default 25.
	MatchLength time.Duration
	ScoreLimit  int
	// Autoplay lets the bot brain play the local player too (cmd/client -autoplay).
	Autoplay bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Tick is the demo's fixed simulation step.
const Tick = time.Second / 60

// maxCatchUpTicks bounds how many ticks one call simulates after a stall (a window drag, a
// debugger): past that the demo skips time rather than fast-forwarding the match.
const maxCatchUpTicks = 10

// Backend is the fake client core. Create it with New.
type Backend struct {
	mu   sync.Mutex
	cfg  Config
	rng  *rand.Rand
	last time.Time

	lobby       client.LobbyView
	connectLeft time.Duration // > 0 while "connecting"
	queueLeft   time.Duration // > 0 while "queued"
	startLeft   time.Duration // > 0 while a ready room counts down

	match    *match
	scene    client.Scene
	controls client.Controls
}

// New returns a demo backend, offline until Connect.
func New(cfg Config) *Backend {
	if cfg.Mode == "" {
		cfg.Mode = "teams"
	}
	if cfg.Players <= 0 {
		cfg.Players = 8
	}
	if cfg.MatchLength <= 0 {
		cfg.MatchLength = 5 * time.Minute
	}
	if cfg.ScoreLimit <= 0 {
		cfg.ScoreLimit = 25
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Backend{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x534b49524d495348)), last: cfg.Now()}
	b.lobby = client.LobbyView{Stage: client.StageOffline, Status: "Enter a name and connect",
		Modes: []string{"teams", "ffa", "duel"}, ModeInfo: demoModes("teams", "ffa", "duel")}
	return b
}

// StartMatch skips the lobby: it connects as name and starts a match at once (cmd/client -demo).
func (b *Backend) StartMatch(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advanceLocked()
	b.connectNow(name)
	b.startMatchLocked(b.cfg.Mode)
}

// Lobby returns the lobby view model for this frame.
func (b *Backend) Lobby() client.LobbyView {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advanceLocked()
	v := b.lobby
	v.Rooms = append([]client.RoomSummary(nil), v.Rooms...)
	v.Chat = append([]client.ChatLine(nil), v.Chat...)
	if v.Room != nil {
		r := *v.Room
		r.Members = append([]client.RoomMember(nil), r.Members...)
		r.Chat = append([]client.ChatLine(nil), r.Chat...)
		v.Room = &r
	}
	return v
}

// Scene returns the match scene for this frame, or nil outside a match. The Scene is the
// backend's own and stays valid until the next call of Scene.
func (b *Backend) Scene() *client.Scene {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advanceLocked()
	if b.match == nil {
		return nil
	}
	b.match.fill(&b.scene)
	return &b.scene
}

// Connect pretends to reach the lobby at addr, which takes a moment.
func (b *Backend) Connect(addr, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	name = strings.TrimSpace(name)
	if name == "" {
		b.lobby.Status, b.lobby.Error = "Pick a name first", true
		return
	}
	b.lobby.PlayerName = name
	b.lobby.Stage = client.StageConnecting
	b.lobby.Status, b.lobby.Error = fmt.Sprintf("Connecting to %s (offline demo)…", addr), false
	b.connectLeft = 600 * time.Millisecond
}

func (b *Backend) connectNow(name string) {
	if name == "" {
		name = "You"
	}
	b.lobby.PlayerName = name
	b.lobby.Stage = client.StageLobby
	b.lobby.Status, b.lobby.Error = "Connected to the offline demo lobby", false
	b.lobby.Rooms = []client.RoomSummary{
		{Code: "K7QX", Name: "Friday frags", Mode: "teams", Players: 5, MaxPlayers: 8},
		{Code: "ZB2M", Name: "Rail only", Mode: "ffa", Players: 3, MaxPlayers: 6},
		{Code: "P4LD", Name: "Duel corner", Mode: "duel", Players: 2, MaxPlayers: 2, InMatch: true},
		{Code: "W9TR", Name: "Newcomers welcome", Mode: "teams", Players: 1, MaxPlayers: 8},
	}
	b.lobby.Chat = []client.ChatLine{
		{Text: "Welcome to Skirmish! This lobby is an offline demo.", System: true},
		{From: "Vex", Text: "anyone up for a team battle?"},
		{From: "Nova", Text: "queueing now"},
	}
}

// QuickMatch joins the matchmaking queue; a match is "found" after two seconds.
func (b *Backend) QuickMatch(mode string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lobby.Stage != client.StageLobby {
		return
	}
	if mode == "" {
		mode = b.cfg.Mode
	}
	b.lobby.Queue = client.QueueState{Queued: true, Mode: mode, Found: 1, Needed: b.cfg.Players}
	b.lobby.Status, b.lobby.Error = "Searching for players…", false
	b.queueLeft = 2 * time.Second
}

// CancelQueue leaves the matchmaking queue.
func (b *Backend) CancelQueue() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lobby.Queue = client.QueueState{}
	b.queueLeft = 0
	b.lobby.Status = "Left the queue"
}

// CreateRoom makes a room with us as host and three bots who get ready over time.
func (b *Backend) CreateRoom(private bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lobby.Stage != client.StageLobby {
		return
	}
	code := b.code()
	name := b.lobby.PlayerName + "'s room"
	b.lobby.Room = &client.RoomView{Code: code, Name: name, Mode: b.cfg.Mode, Private: private, MaxPlayers: 8,
		Members: []client.RoomMember{{Name: b.lobby.PlayerName, Host: true, You: true}},
		Chat:    []client.ChatLine{{Text: "Room " + code + " created. Share the code to invite friends.", System: true}}}
	for i, n := range []string{"Vex", "Nova", "Grit"} {
		b.lobby.Room.Members = append(b.lobby.Room.Members, client.RoomMember{Name: n, Team: uint8((i + 1) % 2)})
	}
	if !private {
		b.lobby.Rooms = append([]client.RoomSummary{{Code: code, Name: name, Mode: b.cfg.Mode, Players: 4, MaxPlayers: 8}}, b.lobby.Rooms...)
	}
	b.lobby.Status = "In room " + code
}

// JoinRoom joins a listed room by its code.
func (b *Backend) JoinRoom(code string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, r := range b.lobby.Rooms {
		if r.Code == code {
			b.lobby.Room = &client.RoomView{Code: r.Code, Name: r.Name, Mode: r.Mode, MaxPlayers: r.MaxPlayers,
				Members: []client.RoomMember{{Name: "Vex", Host: true, Ready: true}, {Name: b.lobby.PlayerName, You: true, Team: 1}},
				Chat:    []client.ChatLine{{Text: b.lobby.PlayerName + " joined", System: true}}}
			b.lobby.Status, b.lobby.Error = "In room "+code, false
			return
		}
	}
	b.lobby.Status, b.lobby.Error = fmt.Sprintf("No room with code %q", code), true
}

// LeaveRoom leaves the current room.
func (b *Backend) LeaveRoom() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lobby.Room = nil
	b.startLeft = 0
	b.lobby.Status = "Left the room"
}

// Ready sets our ready flag; when everyone is ready the match starts after a short countdown.
func (b *Backend) Ready(ready bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lobby.Room == nil {
		return
	}
	for i := range b.lobby.Room.Members {
		if b.lobby.Room.Members[i].You {
			b.lobby.Room.Members[i].Ready = ready
		}
	}
	if !ready {
		b.startLeft = 0
	}
}

// Chat says a line in the room, the match, or the lobby, wherever we are.
func (b *Backend) Chat(text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	line := client.ChatLine{From: b.lobby.PlayerName, Text: text}
	switch {
	case b.match != nil:
		b.match.chat = append(b.match.chat, line)
	case b.lobby.Room != nil:
		b.lobby.Room.Chat = append(b.lobby.Room.Chat, line)
	default:
		b.lobby.Chat = append(b.lobby.Chat, line)
	}
}

// SetControls is the local player's input for the coming ticks.
func (b *Backend) SetControls(c client.Controls) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.controls = c
}

// LeaveMatch returns from a match (or its results) to the lobby.
func (b *Backend) LeaveMatch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.match = nil
	b.lobby.Stage = client.StageLobby
	b.lobby.Queue = client.QueueState{}
	b.lobby.Status = "Back in the lobby"
}

func (b *Backend) code() string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var s [4]byte
	for i := range s {
		s[i] = letters[b.rng.IntN(len(letters))]
	}
	return string(s[:])
}

func (b *Backend) startMatchLocked(mode string) {
	if mode == "" || mode == "duel" && b.cfg.Players > 2 {
		mode = b.cfg.Mode
	}
	b.match = newMatch(b.cfg, mode, b.lobby.PlayerName, b.rng.Uint64())
	b.lobby.Stage = client.StageMatch
	b.lobby.Queue = client.QueueState{}
	b.lobby.Room = nil
	b.queueLeft, b.startLeft = 0, 0
	b.lobby.Status = "In a match"
}

// advanceLocked runs the ticks due since the last call.
func (b *Backend) advanceLocked() {
	now := b.cfg.Now()
	elapsed := now.Sub(b.last)
	if elapsed < Tick {
		return
	}
	n := int(elapsed / Tick)
	b.last = b.last.Add(time.Duration(n) * Tick)
	n = min(n, maxCatchUpTicks)
	for range n {
		b.tickLocked()
	}
}

func (b *Backend) tickLocked() {
	if b.connectLeft > 0 {
		b.connectLeft -= Tick
		if b.connectLeft <= 0 {
			b.connectNow(b.lobby.PlayerName)
		}
	}
	if b.lobby.Queue.Queued {
		b.lobby.Queue.Waited += Tick
		b.lobby.Queue.Found = min(b.lobby.Queue.Needed, 1+int(b.lobby.Queue.Waited/(300*time.Millisecond)))
		b.queueLeft -= Tick
		if b.queueLeft <= 0 {
			b.startMatchLocked(b.lobby.Queue.Mode)
		}
	}
	if r := b.lobby.Room; r != nil {
		// the bots in a room get ready one by one
		if b.rng.IntN(90) == 0 {
			for i := range r.Members {
				if !r.Members[i].You && !r.Members[i].Ready {
					r.Members[i].Ready = true
					r.Chat = append(r.Chat, client.ChatLine{Text: r.Members[i].Name + " is ready", System: true})
					break
				}
			}
		}
		all := len(r.Members) > 1
		for _, m := range r.Members {
			all = all && m.Ready
		}
		switch {
		case all && b.startLeft <= 0:
			b.startLeft = 3 * time.Second
			r.Chat = append(r.Chat, client.ChatLine{Text: "Everyone is ready: starting in 3…", System: true})
		case all:
			b.startLeft -= Tick
			if b.startLeft <= 0 {
				b.startMatchLocked(r.Mode)
				return
			}
		}
	}
	for i := range b.lobby.Chat {
		b.lobby.Chat[i].Age += Tick
	}
	if b.match != nil {
		b.match.step(b.controls)
	}
}

// demoModes lists the named Arena modes, in that order, as a lobby would: the demo stands in
// for one.
func demoModes(names ...string) []proto.ModeInfo {
	all := client.ArenaModes()
	var out []proto.ModeInfo
	for _, n := range names {
		for _, m := range all {
			if m.Name == n {
				out = append(out, m)
			}
		}
	}
	return out
}
