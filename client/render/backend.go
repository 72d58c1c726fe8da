package render

import (
	"image"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// Backend is what the front end needs from the client core. Every method is called from the
// Ebiten goroutine, once per frame at most for the views, and must not block: commands start
// work and return, their outcome shows up in later views (Status, Stage, Room...).
//
// All types in the method set live in package client, so the core implements Backend without
// importing render (and without Ebiten).
type Backend interface {
	// Lobby returns the lobby view model for this frame. Its Stage picks the screen.
	Lobby() client.LobbyView
	// Scene returns the match to draw this frame, or nil when none is running. The renderer
	// only reads it, until its next call of Scene; the backend must not change it meanwhile.
	Scene() *client.Scene

	// Connect connects to the lobby at addr ("host:port") as name.
	Connect(addr, name string)
	// QuickMatch joins the matchmaking queue for mode ("" = the default mode).
	QuickMatch(mode string)
	// CancelQueue leaves the matchmaking queue.
	CancelQueue()
	// CreateRoom creates a room, listed publicly unless private, and joins it.
	CreateRoom(private bool)
	// JoinRoom joins a room by its code.
	JoinRoom(code string)
	// LeaveRoom leaves the current room.
	LeaveRoom()
	// Ready sets our ready flag in the current room.
	Ready(ready bool)
	// Chat says a line wherever we are: the match, else the room, else the lobby.
	Chat(text string)
	// SetControls is the local player's intent, sent every tick of a match (not in autoplay).
	SetControls(c client.Controls)
	// LeaveMatch leaves the match or its results screen for the lobby.
	LeaveMatch()
}

// CheckMatchScreenshot reports whether img shows a match in progress (see
// [view.CheckMatchScreenshot], which needs no display and is the same function).
func CheckMatchScreenshot(img image.Image) error { return view.CheckMatchScreenshot(img) }
