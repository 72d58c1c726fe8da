package view

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"github.com/skirmish-go/skirmish/assets/palette"
)

// Errors of CheckMatchScreenshot; it wraps them with the measured numbers.
var (
	// ErrBlank means the picture is (nearly) one colour.
	ErrBlank = errors.New("screenshot is blank")
	// ErrMenuScreen means the picture shows a menu (connect, lobby) background, not a match.
	ErrMenuScreen = errors.New("screenshot shows a menu screen, not a match")
	// ErrNoArena means too little of the picture is arena floor or wall.
	ErrNoArena = errors.New("screenshot shows no arena")
	// ErrTooFewPlayers means fewer than two player-sized team-coloured blobs were found.
	ErrTooFewPlayers = errors.New("screenshot shows fewer than two players")
)

// Thresholds of CheckMatchScreenshot, as fractions of the picture's pixels.
const (
	MinFloorFraction = 0.25
	MinWallFraction  = 0.01
	MaxMenuFraction  = 0.20
	MaxOneColour     = 0.97
)

// Blob is a connected patch of one team colour.
type Blob struct {
	Team         int // index into palette.Teams
	Area         int // pixels
	Bounds       image.Rectangle
	PlayerSized  bool // big and round enough to be a player's body
	Fill, Aspect float64
}

// ScreenshotStats is what AnalyzeScreenshot measured.
type ScreenshotStats struct {
	Pixels int
	// Floor, Wall, Menu are the fractions of pixels of the arena floor, the walls, and the menu
	// screens' background.
	Floor, Wall, Menu float64
	// OneColour is the fraction of the most common colour.
	OneColour float64
	// Blobs are the team-coloured patches of at least a few pixels; Players counts the
	// player-sized ones, Teams the distinct teams among those.
	Blobs   []Blob
	Players int
	Teams   int
}

// CheckMatchScreenshot reports whether img shows a match in progress: not blank, not a menu,
// the arena's floor and walls in good proportion, and at least two players (player-sized,
// round, team-coloured blobs). It knows the colours from assets/palette and the player size
// from the camera rules (NewCamera), so it works at any window size.
func CheckMatchScreenshot(img image.Image) error {
	st := AnalyzeScreenshot(img)
	switch {
	case st.Pixels == 0 || st.OneColour >= MaxOneColour:
		return fmt.Errorf("%w (%.0f%% one colour)", ErrBlank, 100*st.OneColour)
	case st.Menu > MaxMenuFraction:
		return fmt.Errorf("%w (%.0f%% menu background)", ErrMenuScreen, 100*st.Menu)
	case st.Floor < MinFloorFraction || st.Wall < MinWallFraction:
		return fmt.Errorf("%w (floor %.1f%%, walls %.1f%%; want ≥ %.0f%% and ≥ %.0f%%)",
			ErrNoArena, 100*st.Floor, 100*st.Wall, 100*MinFloorFraction, 100*MinWallFraction)
	case st.Players < 2:
		return fmt.Errorf("%w (%d found among %d team-coloured blobs)", ErrTooFewPlayers, st.Players, len(st.Blobs))
	}
	return nil
}

// class of one pixel.
const (
	classOther = -1
	classFloor = -2
	classWall  = -3
	classMenu  = -4
	// 0..len(palette.Teams)-1: that team colour
)

// AnalyzeScreenshot classifies every pixel of img and finds the team-coloured blobs.
func AnalyzeScreenshot(img image.Image) ScreenshotStats {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	st := ScreenshotStats{Pixels: w * h}
	if st.Pixels == 0 {
		return st
	}
	classes := make([]int8, w*h)
	// histogram of colours quantised to 6 bits a channel, for the one-colour test
	counts := make([]int32, 1<<18)
	var floor, wall, menu int
	rgba, _ := img.(*image.RGBA)
	cache := make(map[color.RGBA]int8, 4096)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			if rgba != nil {
				i := rgba.PixOffset(b.Min.X+x, b.Min.Y+y)
				c = color.RGBA{rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], 255}
			} else {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				c = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			}
			counts[int(c.R>>2)<<12|int(c.G>>2)<<6|int(c.B>>2)]++
			k, ok := cache[c]
			if !ok {
				k = int8(classify(c))
				if len(cache) < 1<<16 {
					cache[c] = k
				}
			}
			classes[y*w+x] = k
			switch k {
			case classFloor:
				floor++
			case classWall:
				wall++
			case classMenu:
				menu++
			}
		}
	}
	n := float64(st.Pixels)
	st.Floor, st.Wall, st.Menu = float64(floor)/n, float64(wall)/n, float64(menu)/n
	most := int32(0)
	for _, v := range counts {
		most = max(most, v)
	}
	st.OneColour = float64(most) / n

	// A player's body has radius ~15 world units; at this picture's camera scale that is
	// bodyR pixels. Count blobs at least a third of such a disc.
	scale := math.Min(float64(w)/ViewWidth, float64(h)/ViewHeight)
	bodyR := 15 * scale
	minArea := int(0.3 * math.Pi * bodyR * bodyR)
	teams := map[int]bool{}
	for _, bl := range blobs(classes, w, h) {
		if bl.Area < 12 {
			continue
		}
		bw, bh := float64(bl.Bounds.Dx()), float64(bl.Bounds.Dy())
		bl.Fill = float64(bl.Area) / (bw * bh)
		bl.Aspect = math.Max(bw, bh) / math.Max(1, math.Min(bw, bh))
		bl.PlayerSized = bl.Area >= minArea && bl.Aspect <= 1.7 && bl.Fill >= 0.35 && bl.Fill <= 0.92 &&
			math.Max(bw, bh) <= 4*bodyR
		if bl.PlayerSized {
			st.Players++
			teams[bl.Team] = true
		}
		st.Blobs = append(st.Blobs, bl)
	}
	st.Teams = len(teams)
	return st
}

// classify returns the class of one pixel.
func classify(c color.RGBA) int {
	if distToSegment(c, palette.FloorBase, palette.FloorGrid) <= 5+palette.FloorNoise*1.8 {
		return classFloor
	}
	if distToSegment(c, palette.WallDark, palette.WallLight) <= 12 {
		return classWall
	}
	if distToSegment(c, palette.MenuBottom, palette.MenuTop) <= 6 {
		return classMenu
	}
	hue, sat, val := hsv(c)
	if sat < 0.45 || val < 0.28 {
		return classOther
	}
	for i, t := range palette.Teams {
		th, _, _ := hsv(t)
		d := math.Abs(hue - th)
		d = math.Min(d, 360-d)
		if d <= 9 {
			return i
		}
	}
	return classOther
}

// distToSegment is the RGB distance from c to the segment a–b.
func distToSegment(c, a, b color.RGBA) float64 {
	px, py, pz := float64(c.R)-float64(a.R), float64(c.G)-float64(a.G), float64(c.B)-float64(a.B)
	dx, dy, dz := float64(b.R)-float64(a.R), float64(b.G)-float64(a.G), float64(b.B)-float64(a.B)
	t := (px*dx + py*dy + pz*dz) / (dx*dx + dy*dy + dz*dz)
	t = math.Max(0, math.Min(1, t))
	ex, ey, ez := px-t*dx, py-t*dy, pz-t*dz
	return math.Sqrt(ex*ex + ey*ey + ez*ez)
}

// hsv returns hue in degrees, saturation and value in 0..1.
func hsv(c color.RGBA) (h, s, v float64) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	v = mx
	if mx == 0 {
		return 0, 0, 0
	}
	s = (mx - mn) / mx
	if mx == mn {
		return 0, s, v
	}
	switch mx {
	case r:
		h = 60 * math.Mod((g-b)/(mx-mn), 6)
	case g:
		h = 60 * ((b-r)/(mx-mn) + 2)
	default:
		h = 60 * ((r-g)/(mx-mn) + 4)
	}
	if h < 0 {
		h += 360
	}
	return h, s, v
}

// blobs finds the 4-connected components of equal team class.
func blobs(classes []int8, w, h int) []Blob {
	seen := make([]bool, len(classes))
	var out []Blob
	var stack []int
	for i, k := range classes {
		if k < 0 || seen[i] {
			continue
		}
		bl := Blob{Team: int(k), Bounds: image.Rect(i%w, i/w, i%w+1, i/w+1)}
		stack = append(stack[:0], i)
		seen[i] = true
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := j%w, j/w
			bl.Area++
			bl.Bounds = bl.Bounds.Union(image.Rect(x, y, x+1, y+1))
			for _, n := range [4]int{j - 1, j + 1, j - w, j + w} {
				if n < 0 || n >= len(classes) || seen[n] || classes[n] != k {
					continue
				}
				if (n == j-1 && x == 0) || (n == j+1 && x == w-1) {
					continue
				}
				seen[n] = true
				stack = append(stack, n)
			}
		}
		out = append(out, bl)
	}
	return out
}

// CheckMatchScreenshotFile decodes the PNG at path and runs CheckMatchScreenshot on it: the
// check CI runs on the frame `cmd/client -autoplay -screenshot FILE -after 10s` saved.
func CheckMatchScreenshotFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("check screenshot: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("check screenshot %s: %w", path, err)
	}
	if err := CheckMatchScreenshot(img); err != nil {
		return fmt.Errorf("check screenshot %s: %w", path, err)
	}
	return nil
}
