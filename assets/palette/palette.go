package palette

import "image/color"

// Arena floor: the tile's base and its grid lines. Every floor pixel lies close to the line
// between the two (the tile adds at most ±FloorNoise per channel).
var (
	FloorBase = color.RGBA{26, 30, 38, 255}
	FloorGrid = color.RGBA{40, 46, 60, 255}
)

// FloorNoise is the largest per-channel noise the generator adds to floor pixels.
const FloorNoise = 2

// Walls: lit top edge, face and dark edge. Every wall pixel lies close to the line between
// WallDark and WallLight.
var (
	WallDark  = color.RGBA{52, 58, 76, 255}
	WallFace  = color.RGBA{72, 80, 102, 255}
	WallLight = color.RGBA{134, 148, 180, 255}
)

// Void is what lies outside the arena when the camera sees past its edge.
var Void = color.RGBA{9, 10, 14, 255}

// Screen backgrounds outside a match (connect, lobby), top and bottom of a vertical gradient.
var (
	MenuTop    = color.RGBA{34, 18, 52, 255}
	MenuBottom = color.RGBA{14, 8, 24, 255}
	// Panel is the fill of UI panels, drawn with alpha over the background.
	Panel = color.RGBA{20, 16, 32, 230}
	// Accent is the UI's highlight (buttons, focus).
	Accent = color.RGBA{255, 196, 72, 255}
	// Text is the default text colour, TextDim secondary text.
	Text    = color.RGBA{236, 238, 244, 255}
	TextDim = color.RGBA{150, 156, 176, 255}
	// Good and Bad colour health, status and ready flags.
	Good = color.RGBA{110, 226, 130, 255}
	Bad  = color.RGBA{255, 84, 84, 255}
)

// Teams are the team colours: team t uses Teams[t%len(Teams)]. In free-for-all each player uses
// the colour of its slot. Their hues are at least 20° apart.
var Teams = []color.RGBA{
	{236, 72, 84, 255},   // red
	{60, 152, 255, 255},  // blue
	{80, 214, 110, 255},  // green
	{250, 196, 56, 255},  // amber
	{178, 100, 255, 255}, // violet
	{56, 222, 222, 255},  // cyan
	{255, 104, 204, 255}, // pink
	{255, 130, 40, 255},  // orange
}

// Team returns the colour of team (or slot) i.
func Team(i int) color.RGBA {
	if i < 0 {
		i = -i
	}
	return Teams[i%len(Teams)]
}
