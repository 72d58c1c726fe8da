// Package render is Skirmish's Ebiten front end: it draws the screens (name entry and connect,
// the lobby, the match with its HUD, scoreboard and net graph, the results) and turns keyboard
// and mouse into client.Controls. It holds no game rules and no network code.
//
// How the pieces fit:
//
//   - [Backend] is everything render needs from the rest of the client: the lobby view model
//     ([client.LobbyView]), the match scene ([client.Scene]) and a handful of commands (connect,
//     quick match, rooms, ready, chat, controls). The headless client core implements it; so does
//     the offline stand-in in package client/render/demo.
//   - [Game] is the ebiten.Game. Each Update it reads the backend's views, picks the screen from
//     LobbyView.Stage (and Scene.MatchOver), handles that screen's input and sends commands;
//     each Draw draws the same views. [Run] opens the resizable window at 60 ticks a second.
//   - Package client/render/view holds the parts that need no GPU (camera, layouts, colours, HUD
//     text, the screenshot check), so they are tested without a display.
//   - Art comes from package assets: generated sprites tinted with the team colours of
//     assets/palette, and the Go fonts drawn with text/v2.
//
// For unattended runs [Options.Screenshot] saves the frame drawn at [Options.After] as a PNG
// and stops the game; with [Options.AfterMatch] After counts from the match's first frame, and
// [Options.ActionShot] then waits (a little) for an opponent in view; a
// [Options.ScreenshotTimeout] ends a run that never gets there. [CheckMatchScreenshot] tells
// whether such a PNG shows a match in progress (cmd/client/e2e runs exactly that).
//
// Ebiten needs a display when the package is initialised: run tests and the client under
// xvfb-run on a headless machine.
package render
