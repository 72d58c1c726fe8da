// Package assets embeds Skirmish's art so every binary carries it: sprites and tiles (PNG), fonts
// (TrueType) and maps (JSON), all with go:embed.
//
// Sprites are generated, not drawn by hand: internal/spritegen draws them deterministically from
// the colours in [github.com/skirmish-go/skirmish/assets/palette]; run `go generate ./assets` after
// changing either. Team-coloured sprites (player, bolt, glow, ring, spark) are greys, tinted when
// drawn. Fonts are the Go fonts from golang.org/x/image. NOTES.md says where each file came from.
package assets
