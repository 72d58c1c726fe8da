package assets

import (
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/png"
)

//go:generate go run ./internal/spritegen -out sprites

// spriteFiles holds the PNGs made by internal/spritegen (see NOTES.md).
//
//go:embed sprites/*.png
var spriteFiles embed.FS

// SpriteNames lists every embedded sprite, without the .png suffix.
var SpriteNames = []string{"player", "gun", "shadow", "glow", "bolt", "ring", "spark", "floor", "wall"}

// Sprite decodes the embedded sprite name (without .png, one of SpriteNames).
func Sprite(name string) (image.Image, error) {
	b, err := spriteFiles.ReadFile("sprites/" + name + ".png")
	if err != nil {
		return nil, fmt.Errorf("assets: sprite %q: %w", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("assets: sprite %q: %w", name, err)
	}
	return img, nil
}
