// Package view is the part of the Ebiten front end that needs no GPU and no display: the camera
// (world units to pixels and back), screen layouts, colour choices, HUD and scoreboard text, the
// net graph's history, and the screenshot check that tells a match from a blank or menu screen.
//
// Package client/render draws with these; keeping them here lets them be unit tested anywhere
// (Ebiten panics at init without a display) and lets tools such as CI check a PNG without cgo.
//
// Coordinates: world units as in [github.com/skirmish-go/skirmish/client.Scene] (y down, angles
// clockwise from +x); screen pixels with the origin at the top-left of the window.
package view
