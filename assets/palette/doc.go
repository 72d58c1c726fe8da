// Package palette holds Skirmish's colours: the arena floor and walls, the team colours and the
// screen backgrounds. The sprite generator (assets/internal/spritegen) bakes them into the PNGs,
// the renderer (client/render) draws with them, and the screenshot check
// (client/render/view.CheckMatchScreenshot) recognises a match by them, so all three agree.
//
// The colours are picked so that a picture can be classified pixel by pixel: the floor is a dark
// blue slate, the walls a lighter blue-grey that never overlaps the floor, the screens outside a
// match a violet that is neither, and the team colours saturated hues well apart on the colour
// wheel.
package palette
