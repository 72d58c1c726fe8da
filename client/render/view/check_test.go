package view

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/assets/palette"
)

// Synthetic frames are small to keep the test quick under -race; the check scales with size.
const shotW, shotH = 640, 360

// arena paints a synthetic match frame: grid floor, a wall, and a disc per team colour given.
func arena(teams ...int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, shotW, shotH))
	for y := 0; y < shotH; y++ {
		for x := 0; x < shotW; x++ {
			c := palette.FloorBase
			if x%64 == 0 || y%64 == 0 {
				c = palette.FloorGrid
			}
			img.SetRGBA(x, y, c)
		}
	}
	draw.Draw(img, image.Rect(150, 100, 200, 250), image.NewUniform(palette.WallFace), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(150, 100, 200, 103), image.NewUniform(palette.WallLight), image.Point{}, draw.Src)
	scale := math.Min(shotW/ViewWidth, shotH/ViewHeight)
	for i, team := range teams {
		disc(img, 300+float64(i)*60, 180, 15*scale, palette.Team(team))
	}
	return img
}

func disc(img *image.RGBA, cx, cy, r float64, c color.RGBA) {
	for y := int(cy - r); y <= int(cy+r); y++ {
		for x := int(cx - r); x <= int(cx+r); x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			if d > r {
				continue
			}
			// shade like the tinted sprite: darker towards the rim
			k := 1 - 0.4*d/r
			img.SetRGBA(x, y, color.RGBA{uint8(float64(c.R) * k), uint8(float64(c.G) * k), uint8(float64(c.B) * k), 255})
		}
	}
}

func TestCheckMatchScreenshotAcceptsAMatch(t *testing.T) {
	require.NoError(t, CheckMatchScreenshot(arena(0, 1, 0, 1)))
	require.NoError(t, CheckMatchScreenshot(arena(0, 0)), "two players of one team are still two players")
	st := AnalyzeScreenshot(arena(0, 1, 2))
	assert.Equal(t, 3, st.Players)
	assert.Equal(t, 3, st.Teams)
	assert.Greater(t, st.Floor, 0.8)
	assert.Greater(t, st.Wall, 0.02)
}

func TestCheckMatchScreenshotRejects(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, shotW, shotH))
	assert.ErrorIs(t, CheckMatchScreenshot(blank), ErrBlank)
	assert.ErrorIs(t, CheckMatchScreenshot(image.NewRGBA(image.Rect(0, 0, 0, 0))), ErrBlank)

	menu := image.NewRGBA(image.Rect(0, 0, shotW, shotH))
	for y := 0; y < shotH; y++ {
		t := float64(y) / shotH
		c := color.RGBA{
			uint8(float64(palette.MenuTop.R) + (float64(palette.MenuBottom.R)-float64(palette.MenuTop.R))*t),
			uint8(float64(palette.MenuTop.G) + (float64(palette.MenuBottom.G)-float64(palette.MenuTop.G))*t),
			uint8(float64(palette.MenuTop.B) + (float64(palette.MenuBottom.B)-float64(palette.MenuTop.B))*t), 255}
		draw.Draw(menu, image.Rect(0, y, shotW, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	// even with team-coloured discs on it, a menu is not a match
	disc(menu, 150, 150, 12, palette.Team(0))
	disc(menu, 250, 150, 12, palette.Team(1))
	assert.ErrorIs(t, CheckMatchScreenshot(menu), ErrMenuScreen)

	assert.ErrorIs(t, CheckMatchScreenshot(arena(1)), ErrTooFewPlayers)
	assert.ErrorIs(t, CheckMatchScreenshot(arena()), ErrTooFewPlayers)

	noWalls := arena(0, 1)
	draw.Draw(noWalls, image.Rect(150, 100, 200, 250), image.NewUniform(palette.FloorBase), image.Point{}, draw.Src)
	assert.ErrorIs(t, CheckMatchScreenshot(noWalls), ErrNoArena)

	// solid team-coloured rectangles (HUD pills, health bars) are not players
	pills := arena()
	draw.Draw(pills, image.Rect(250, 10, 300, 25), image.NewUniform(palette.Team(0)), image.Point{}, draw.Src)
	draw.Draw(pills, image.Rect(350, 10, 400, 25), image.NewUniform(palette.Team(1)), image.Point{}, draw.Src)
	draw.Draw(pills, image.Rect(350, 150, 370, 170), image.NewUniform(palette.Team(1)), image.Point{}, draw.Src)
	draw.Draw(pills, image.Rect(50, 300, 150, 303), image.NewUniform(palette.Team(2)), image.Point{}, draw.Src)
	assert.ErrorIs(t, CheckMatchScreenshot(pills), ErrTooFewPlayers)
}

func TestCheckMatchScreenshotAnySize(t *testing.T) {
	// the player size follows the camera's scale: a frame twice as big has players twice as big
	img := image.NewRGBA(image.Rect(0, 0, 2*shotW, 2*shotH))
	src := arena(0, 1)
	for y := 0; y < 2*shotH; y++ {
		for x := 0; x < 2*shotW; x++ {
			copy(img.Pix[img.PixOffset(x, y):][:4], src.Pix[src.PixOffset(x/2, y/2):][:4])
		}
	}
	require.NoError(t, CheckMatchScreenshot(img))
	// and a 2× frame of small discs (players at half the size) has none
	assert.ErrorIs(t, CheckMatchScreenshot(upscaleAround(src)), ErrTooFewPlayers)
}

func TestClassify(t *testing.T) {
	assert.Equal(t, classFloor, classify(palette.FloorBase))
	assert.Equal(t, classFloor, classify(palette.FloorGrid))
	assert.Equal(t, classWall, classify(palette.WallFace))
	assert.Equal(t, classWall, classify(palette.WallDark))
	assert.Equal(t, classMenu, classify(palette.MenuTop))
	assert.Equal(t, classOther, classify(palette.Void))
	assert.Equal(t, classOther, classify(color.RGBA{255, 255, 255, 255}))
	for i, c := range palette.Teams {
		assert.Equal(t, i, classify(c), "team %d", i)
	}
}

// upscaleAround doubles the frame's size but keeps its discs small, as if the camera were
// zoomed out: player-sized blobs must grow with the picture.
func upscaleAround(src *image.RGBA) *image.RGBA {
	img := arena()
	big := image.NewRGBA(image.Rect(0, 0, 2*shotW, 2*shotH))
	for y := 0; y < 2*shotH; y++ {
		for x := 0; x < 2*shotW; x++ {
			copy(big.Pix[big.PixOffset(x, y):][:4], img.Pix[img.PixOffset(x/2, y/2):][:4])
		}
	}
	// paste the original (small) discs unscaled
	draw.Draw(big, image.Rect(280, 160, 400, 200), src, image.Pt(280, 160), draw.Src)
	return big
}

func TestCheckMatchScreenshotFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, img image.Image) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, img))
		require.NoError(t, f.Close())
		return p
	}
	require.NoError(t, CheckMatchScreenshotFile(write("match.png", arena(0, 1))))
	assert.ErrorIs(t, CheckMatchScreenshotFile(write("blank.png", image.NewRGBA(image.Rect(0, 0, 64, 64)))), ErrBlank)
	assert.ErrorIs(t, CheckMatchScreenshotFile(filepath.Join(dir, "missing.png")), os.ErrNotExist)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not a png"), 0o644))
	assert.Error(t, CheckMatchScreenshotFile(filepath.Join(dir, "bad.png")))
}
