// Command spritegen draws Skirmish's sprites and tiles into PNG files. It is deterministic (fixed
// seeds, no clocks), so running it again reproduces the committed files byte for byte; the
// assets package runs it through go:generate:
//
//	go generate ./assets     # = go run ./internal/spritegen -out sprites
//
// Every sprite is drawn with supersampled shapes (4×4 samples a pixel) in the colours of
// assets/palette. Sprites that carry a team colour are drawn in greys and tinted at draw time.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/skirmish-go/skirmish/assets/palette"
)

func main() {
	out := flag.String("out", "sprites", "directory to write the PNG files into")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("spritegen: %w", err)
	}
	sprites := []struct {
		name string
		img  image.Image
	}{
		{"player.png", player()},
		{"gun.png", gun()},
		{"shadow.png", radial(64, 0, 0, 0, 0.55, 2.2)},
		{"glow.png", radial(64, 255, 255, 255, 1, 2.0)},
		{"bolt.png", bolt()},
		{"ring.png", ring()},
		{"spark.png", spark()},
		{"floor.png", floor()},
		{"wall.png", wall()},
	}
	for _, s := range sprites {
		if err := writePNG(filepath.Join(dir, s.name), s.img); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("spritegen: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("spritegen: encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spritegen: %w", err)
	}
	return nil
}

// coverage returns the fraction of pixel (x, y) inside the shape, with 4×4 samples.
func coverage(x, y int, inside func(fx, fy float64) bool) float64 {
	n := 0
	for sy := 0; sy < 4; sy++ {
		for sx := 0; sx < 4; sx++ {
			if inside(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4) {
				n++
			}
		}
	}
	return float64(n) / 16
}

// over composites a colour with alpha a (straight, 0..1) onto the NRGBA pixel at (x, y).
func over(img *image.NRGBA, x, y int, r, g, b, a float64) {
	if a <= 0 {
		return
	}
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4 : i+4]
	da := float64(p[3]) / 255
	oa := a + da*(1-a)
	if oa <= 0 {
		return
	}
	mix := func(src float64, dst uint8) uint8 {
		v := (src*a + float64(dst)*da*(1-a)) / oa
		return uint8(math.Round(clamp(v, 0, 255)))
	}
	p[0], p[1], p[2] = mix(r, p[0]), mix(g, p[1]), mix(b, p[2])
	p[3] = uint8(math.Round(oa * 255))
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// player is the body seen from above, facing +x, in greys (tinted with the team colour when
// drawn): 96×96 px for a body of radius 16 world units at 2 px a unit, lit from the top left:
// a round torso, a backpack, two hands reaching forward and a pale helmet, with a dark rim.
func player() image.Image {
	const size, c = 96, 48.0
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	disc := func(cx, cy, r float64) func(fx, fy float64) bool {
		return func(fx, fy float64) bool { return (fx-cx)*(fx-cx)+(fy-cy)*(fy-cy) <= r*r }
	}
	// shade paints a disc with a light falling off from the top left of its centre.
	shade := func(cx, cy, r, lo, hi float64) {
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				a := coverage(x, y, disc(cx, cy, r))
				if a == 0 {
					continue
				}
				fx, fy := float64(x)+0.5, float64(y)+0.5
				d := math.Hypot(fx-(cx-r*0.35), fy-(cy-r*0.35)) / (r * 1.6)
				v := 255 * clamp(hi-(hi-lo)*d, lo, hi)
				over(img, x, y, v, v, v, a)
			}
		}
	}
	shade(c-22, c, 10, 0.45, 0.7)  // backpack
	shade(c+18, c-11, 6.5, 0.6, 1) // hands
	shade(c+18, c+11, 6.5, 0.6, 1)
	shade(c, c, 26, 0.55, 1) // torso
	outline(img, 2, 34)
	// helmet: a light dome with a specular spot, not tinted much (drawn near white)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			a := coverage(x, y, disc(c-1, c, 13))
			if a == 0 {
				continue
			}
			fx, fy := float64(x)+0.5, float64(y)+0.5
			d := math.Hypot(fx-(c-5), fy-(c-5)) / 18
			v := 255 * clamp(1.08-0.6*d, 0.5, 1)
			over(img, x, y, v, v, v, a)
			// dark rim of the helmet
			rr := math.Hypot(fx-(c-1), fy-c)
			if rr > 11.5 {
				over(img, x, y, 40, 40, 40, a*0.6)
			}
		}
	}
	return img
}

// outline draws a dark line of width w around every opaque shape in img.
func outline(img *image.NRGBA, w int, v uint8) {
	b := img.Bounds()
	src := image.NewNRGBA(b)
	copy(src.Pix, img.Pix)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if src.NRGBAAt(x, y).A > 0 {
				continue
			}
			best := 0.0
			for dy := -w; dy <= w; dy++ {
				for dx := -w; dx <= w; dx++ {
					if dx*dx+dy*dy > w*w+1 {
						continue
					}
					p := image.Pt(x+dx, y+dy)
					if !p.In(b) {
						continue
					}
					best = math.Max(best, float64(src.NRGBAAt(p.X, p.Y).A)/255)
				}
			}
			if best > 0 {
				over(img, x, y, float64(v), float64(v), float64(v), best)
			}
		}
	}
}

// gun is the weapon held forward between the hands, drawn over the tinted body and never
// tinted itself: 96×96 px, the same frame as player.
func gun() image.Image {
	const size = 96
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			// body of the gun, then the barrel
			if a := coverage(x, y, func(fx, fy float64) bool { return fx >= 58 && fx <= 78 && fy >= 43 && fy <= 53 }); a > 0 {
				v := 64 - 26*math.Abs(fy-46.5)/5
				over(img, x, y, v, v+2, v+8, a)
			}
			if a := coverage(x, y, func(fx, fy float64) bool { return fx >= 76 && fx <= 94 && fy >= 45.5 && fy <= 50.5 }); a > 0 {
				v := 96 - 50*math.Abs(fy-47)/2.5
				over(img, x, y, v, v+3, v+10, a)
			}
			// muzzle ring and a lit strip along the top
			if a := coverage(x, y, func(fx, fy float64) bool { return fx >= 90 && fx <= 94 && fy >= 44.5 && fy <= 51.5 }); a > 0 {
				over(img, x, y, 40, 42, 48, a)
			}
			if a := coverage(x, y, func(fx, fy float64) bool { return fx >= 60 && fx <= 88 && fy >= 44 && fy <= 45 }); a > 0 {
				over(img, x, y, 170, 180, 200, a*0.8)
			}
			_ = fx
		}
	}
	outline(img, 1, 12)
	return img
}

// radial is a size×size disc of colour (r, g, b) whose alpha falls off from peak at the centre
// to 0 at the edge, as exp(-k·d²).
func radial(size int, r, g, b uint8, peak, k float64) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c) / c
			if d >= 1 {
				continue
			}
			a := peak * (math.Exp(-k*2*d*d) - math.Exp(-k*2)) / (1 - math.Exp(-k*2))
			img.SetNRGBA(x, y, color.NRGBA{r, g, b, uint8(math.Round(clamp(a, 0, 1) * 255))})
		}
	}
	return img
}

// bolt is a projectile's bright core, 40×16 px, pointing +x: a white capsule fading to the tail.
func bolt() image.Image {
	const w, h = 40, 16
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			dx, dy := (fx-26)/14, (fy-8)/5
			if fx > 26 {
				dx = (fx - 26) / 12
			}
			d := dx*dx + dy*dy
			if d >= 1 {
				continue
			}
			a := math.Pow(1-d, 1.5)
			tail := clamp(fx/20, 0.25, 1)
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, uint8(255 * clamp(a*tail, 0, 1))})
		}
	}
	return img
}

// ring is a shock-wave ring, 64×64 px, white with soft edges.
func ring() image.Image {
	const size = 64
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			d := math.Hypot(float64(x)+0.5-32, float64(y)+0.5-32)
			a := math.Exp(-math.Pow((d-26)/3.2, 2))
			if a < 0.01 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, uint8(255 * a)})
		}
	}
	return img
}

// spark is a debris streak, 24×6 px, pointing +x.
func spark() image.Image {
	const w, h = 24, 6
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			along := fx / w
			across := math.Abs(fy-3) / 3
			a := along * (1 - across*across)
			if a <= 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, uint8(255 * clamp(a, 0, 1))})
		}
	}
	return img
}

// floor is one 128×128 px tile of arena floor (128 world units at 1 px a unit): dark slate with
// faint noise, grid lines every 64 units, and a brighter cross where lines meet.
func floor() image.Image {
	const size, cell = 128, 64
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	base, grid := palette.FloorBase, palette.FloorGrid
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			n := rng.IntN(2*palette.FloorNoise+1) - palette.FloorNoise
			t := 0.0
			gx, gy := x%cell, y%cell
			if gx == 0 || gy == 0 {
				t = 0.75 // a grid line
			}
			if (gx == 0 && (gy < 6 || gy > cell-6)) || (gy == 0 && (gx < 6 || gx > cell-6)) {
				t = 1 // a cross at each corner
			}
			// a plate seam halfway between lines, fainter
			if gx == cell/2 || gy == cell/2 {
				t = math.Max(t, 0.25)
			}
			mix := func(a, b uint8) uint8 {
				v := float64(a) + (float64(b)-float64(a))*t + float64(n)
				return uint8(math.Round(clamp(v, 0, 255)))
			}
			img.SetNRGBA(x, y, color.NRGBA{mix(base.R, grid.R), mix(base.G, grid.G), mix(base.B, grid.B), 255})
		}
	}
	return img
}

// wall is one 64×64 px tile of wall top (64 world units at 1 px a unit): metal plates in the
// wall face colour with darker seams and lighter bolts; the renderer adds the lit edges.
func wall() image.Image {
	const size = 64
	rng := rand.New(rand.NewPCG(3, 4))
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	dark, face, light := palette.WallDark, palette.WallFace, palette.WallLight
	lerp := func(a, b color.RGBA, t float64) color.NRGBA {
		f := func(x, y uint8) uint8 {
			return uint8(math.Round(clamp(float64(x)+(float64(y)-float64(x))*t, 0, 255)))
		}
		return color.NRGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// brushed metal: a little noise along x
			t := float64(rng.IntN(5)-2) / 60
			c := lerp(face, light, math.Max(0, t))
			if t < 0 {
				c = lerp(face, dark, -t)
			}
			px, py := x%32, y%32
			switch {
			case px == 0 || py == 0: // plate seam
				c = lerp(face, dark, 0.8)
			case px == 1 || py == 1: // the seam's lit lip
				c = lerp(face, light, 0.25)
			}
			// bolts near the plate corners
			for _, b := range [][2]int{{5, 5}, {26, 5}, {5, 26}, {26, 26}} {
				d := math.Hypot(float64(px)-float64(b[0]), float64(py)-float64(b[1]))
				if d < 1.8 {
					c = lerp(face, light, 0.55)
				} else if d < 2.6 {
					c = lerp(face, dark, 0.6)
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}
