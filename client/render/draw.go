package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/skirmish-go/skirmish/assets/palette"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// Colours used often.
var (
	colText    = palette.Text
	colDim     = palette.TextDim
	colAccent  = palette.Accent
	colGood    = palette.Good
	colBad     = palette.Bad
	colShadow  = color.RGBA{0, 0, 0, 160}
	colPanel   = palette.Panel
	colHUDBack = color.NRGBA{8, 10, 16, 170}
)

// Font roles; sizes in pixels at UI scale 1.
type faceRole uint8

const (
	faceSmall faceRole = iota
	faceNormal
	faceLarge
	faceHuge
	faceTitle
	faceMono
	faceBold
)

var faceSizes = map[faceRole]float64{faceSmall: 14, faceNormal: 17, faceLarge: 24, faceHuge: 40, faceTitle: 92, faceMono: 14, faceBold: 17}

// resources are the decoded sprites and font sources.
type resources struct {
	player, gun, shadow, glow, bolt, ring, spark, floor, wall *ebiten.Image
	white                                                     *ebiten.Image

	regular, bold, mono *text.GoTextFaceSource
	faces               map[faceKey]*text.GoTextFace
}

type faceKey struct {
	role  faceRole
	scale float64
}

func loadResources() (*resources, error) {
	r := &resources{faces: map[faceKey]*text.GoTextFace{}}
	for _, s := range []struct {
		name string
		dst  **ebiten.Image
	}{
		{"player", &r.player}, {"gun", &r.gun}, {"shadow", &r.shadow}, {"glow", &r.glow},
		{"bolt", &r.bolt}, {"ring", &r.ring}, {"spark", &r.spark}, {"floor", &r.floor}, {"wall", &r.wall},
	} {
		img, err := assets.Sprite(s.name)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		*s.dst = ebiten.NewImageFromImage(img)
	}
	w := ebiten.NewImage(3, 3)
	w.Fill(color.White)
	r.white = w.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)
	var err error
	if r.regular, err = text.NewGoTextFaceSource(bytes.NewReader(assets.GoRegular)); err != nil {
		return nil, fmt.Errorf("render: font: %w", err)
	}
	if r.bold, err = text.NewGoTextFaceSource(bytes.NewReader(assets.GoBold)); err != nil {
		return nil, fmt.Errorf("render: font: %w", err)
	}
	if r.mono, err = text.NewGoTextFaceSource(bytes.NewReader(assets.GoMonoBold)); err != nil {
		return nil, fmt.Errorf("render: font: %w", err)
	}
	return r, nil
}

// face returns the font face of a role at a UI scale (cached).
func (r *resources) face(role faceRole, scale float64) *text.GoTextFace {
	scale = math.Round(scale*20) / 20 // few distinct sizes, so glyph caches stay warm
	k := faceKey{role, scale}
	if f, ok := r.faces[k]; ok {
		return f
	}
	src := r.regular
	switch role {
	case faceHuge, faceTitle, faceBold, faceLarge:
		src = r.bold
	case faceMono:
		src = r.mono
	}
	f := &text.GoTextFace{Source: src, Size: faceSizes[role] * scale}
	r.faces[k] = f
	return f
}

// drawText draws s with its top-left (align start), centre or right end at x, and its
// vertical centre at y, with a soft shadow for readability over the arena.
func drawText(dst *ebiten.Image, s string, f *text.GoTextFace, x, y float64, align text.Align, clr color.Color, shadow bool) {
	op := &text.DrawOptions{}
	op.PrimaryAlign = align
	op.SecondaryAlign = text.AlignCenter
	if shadow {
		op.GeoM.Translate(x+1, y+1.5)
		op.ColorScale.ScaleWithColor(colShadow)
		text.Draw(dst, s, f, op)
		op.GeoM.Reset()
		op.ColorScale.Reset()
	}
	op.GeoM.Translate(x, y)
	op.ColorScale.ScaleWithColor(clr)
	text.Draw(dst, s, f, op)
}

func (g *Game) drawCentered(dst *ebiten.Image, s string, f *text.GoTextFace, x, y float64, clr color.Color) {
	drawText(dst, s, f, x, y, text.AlignCenter, clr, true)
}

// textWidth is the advance of s in f.
func textWidth(s string, f *text.GoTextFace) float64 { return text.Advance(s, f) }

// fitText shortens s with an ellipsis until it fits in w pixels.
func fitText(s string, f *text.GoTextFace, w float64) string {
	if textWidth(s, f) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r)+"…", f) > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// wrapText breaks s into at most n lines of at most w pixels, at spaces; the last line is
// shortened with an ellipsis if the text does not fit.
func wrapText(s string, f *text.GoTextFace, w float64, n int) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for i, word := range words {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if textWidth(try, f) <= w || cur == "" {
			cur = try
			continue
		}
		if len(lines) == n-1 {
			return append(lines, fitText(cur+" "+strings.Join(words[i:], " "), f, w))
		}
		lines = append(lines, cur)
		cur = word
	}
	if cur != "" {
		lines = append(lines, fitText(cur, f, w))
	}
	return lines
}

// fillRound fills a rounded rectangle.
func (g *Game) fillRound(dst *ebiten.Image, r view.Rect, radius float64, clr color.Color) {
	radius = math.Min(radius, math.Min(r.W, r.H)/2)
	if radius <= 0.5 {
		vector.DrawFilledRect(dst, float32(r.X), float32(r.Y), float32(r.W), float32(r.H), clr, false)
		return
	}
	var p vector.Path
	x0, y0, x1, y1 := float32(r.X), float32(r.Y), float32(r.X+r.W), float32(r.Y+r.H)
	rad := float32(radius)
	p.MoveTo(x0+rad, y0)
	p.LineTo(x1-rad, y0)
	p.ArcTo(x1, y0, x1, y0+rad, rad)
	p.LineTo(x1, y1-rad)
	p.ArcTo(x1, y1, x1-rad, y1, rad)
	p.LineTo(x0+rad, y1)
	p.ArcTo(x0, y1, x0, y1-rad, rad)
	p.LineTo(x0, y0+rad)
	p.ArcTo(x0, y0, x0+rad, y0, rad)
	p.Close()
	vs, is := p.AppendVerticesAndIndicesForFilling(nil, nil)
	g.drawVertices(dst, vs, is, clr)
}

// strokeRound outlines a rounded rectangle.
func (g *Game) strokeRound(dst *ebiten.Image, r view.Rect, radius, width float64, clr color.Color) {
	radius = math.Min(radius, math.Min(r.W, r.H)/2)
	var p vector.Path
	x0, y0, x1, y1 := float32(r.X), float32(r.Y), float32(r.X+r.W), float32(r.Y+r.H)
	rad := float32(radius)
	p.MoveTo(x0+rad, y0)
	p.LineTo(x1-rad, y0)
	p.ArcTo(x1, y0, x1, y0+rad, rad)
	p.LineTo(x1, y1-rad)
	p.ArcTo(x1, y1, x1-rad, y1, rad)
	p.LineTo(x0+rad, y1)
	p.ArcTo(x0, y1, x0, y1-rad, rad)
	p.LineTo(x0, y0+rad)
	p.ArcTo(x0, y0, x0+rad, y0, rad)
	p.Close()
	vs, is := p.AppendVerticesAndIndicesForStroke(nil, nil, &vector.StrokeOptions{Width: float32(width), LineJoin: vector.LineJoinRound})
	g.drawVertices(dst, vs, is, clr)
}

func (g *Game) drawVertices(dst *ebiten.Image, vs []ebiten.Vertex, is []uint16, clr color.Color) {
	cr, cg, cb, ca := clr.RGBA()
	for i := range vs {
		vs[i].SrcX, vs[i].SrcY = 1, 1
		vs[i].ColorR = float32(cr) / 0xffff
		vs[i].ColorG = float32(cg) / 0xffff
		vs[i].ColorB = float32(cb) / 0xffff
		vs[i].ColorA = float32(ca) / 0xffff
	}
	op := &ebiten.DrawTrianglesOptions{ColorScaleMode: ebiten.ColorScaleModePremultipliedAlpha, AntiAlias: false}
	dst.DrawTriangles(vs, is, g.res.white, op)
}

// drawMenuBackground fills the screen with the menus' violet gradient and a faint pattern.
func (g *Game) drawMenuBackground(dst *ebiten.Image) {
	w, h := float32(g.w), float32(g.h)
	top, bot := palette.MenuTop, palette.MenuBottom
	c := func(x, y float32, col color.RGBA) ebiten.Vertex {
		return ebiten.Vertex{DstX: x, DstY: y, SrcX: 1, SrcY: 1, ColorR: float32(col.R) / 255,
			ColorG: float32(col.G) / 255, ColorB: float32(col.B) / 255, ColorA: 1}
	}
	vs := []ebiten.Vertex{c(0, 0, top), c(w, 0, top), c(0, h, bot), c(w, h, bot)}
	dst.DrawTriangles(vs, []uint16{0, 1, 2, 1, 2, 3}, g.res.white, &ebiten.DrawTrianglesOptions{})
	// faint diagonal stripes
	s := float32(g.uiScale())
	for x := -h; x < w; x += 48 * s {
		vector.StrokeLine(dst, x, h, x+h, 0, 1, color.NRGBA{255, 255, 255, 6}, aa)
	}
}

// button draws a clickable button; primary ones are filled with the accent colour.
func (g *Game) button(dst *ebiten.Image, r view.Rect, label string, primary, enabled bool) {
	s := g.uiScale()
	mx, my := ebiten.CursorPosition()
	hover := enabled && r.Contains(float64(mx), float64(my))
	fill := color.NRGBA{255, 255, 255, 18}
	tc := colText
	switch {
	case !enabled:
		fill = color.NRGBA{255, 255, 255, 8}
		tc = colDim
	case primary && hover:
		fill = color.NRGBA{255, 214, 120, 255}
		tc = color.RGBA{30, 20, 10, 255}
	case primary:
		fill = color.NRGBA{colAccent.R, colAccent.G, colAccent.B, 255}
		tc = color.RGBA{30, 20, 10, 255}
	case hover:
		fill = color.NRGBA{255, 255, 255, 40}
	}
	g.fillRound(dst, r, 8*s, fill)
	if !primary {
		g.strokeRound(dst, r, 8*s, 1.2*s, color.NRGBA{255, 255, 255, 40})
	}
	drawText(dst, label, g.res.face(faceBold, s), r.X+r.W/2, r.Y+r.H/2, text.AlignCenter, tc, false)
}

// panel draws a titled panel.
func (g *Game) panel(dst *ebiten.Image, r view.Rect, title string) {
	s := g.uiScale()
	g.fillRound(dst, r, 12*s, colPanel)
	g.strokeRound(dst, r, 12*s, 1.2*s, color.NRGBA{255, 255, 255, 28})
	if title != "" {
		drawText(dst, title, g.res.face(faceBold, s), r.X+16*s, r.Y+24*s, text.AlignStart, colAccent, false)
	}
}

// field draws a one-line text field.
func (g *Game) field(dst *ebiten.Image, r view.Rect, value, placeholder string, focused bool) {
	s := g.uiScale()
	g.fillRound(dst, r, 6*s, color.NRGBA{0, 0, 0, 120})
	border := color.NRGBA{255, 255, 255, 50}
	if focused {
		border = color.NRGBA{colAccent.R, colAccent.G, colAccent.B, 255}
	}
	g.strokeRound(dst, r, 6*s, 1.5*s, border)
	f := g.res.face(faceNormal, s)
	x, y := r.X+12*s, r.Y+r.H/2
	if value == "" && !focused {
		drawText(dst, placeholder, f, x, y, text.AlignStart, colDim, false)
		return
	}
	shown := value
	for len(shown) > 0 && textWidth(shown, f) > r.W-30*s {
		shown = string([]rune(shown)[1:])
	}
	drawText(dst, shown, f, x, y, text.AlignStart, colText, false)
	if focused && view.CaretOn(g.opt.Now(), g.typedAt) {
		cx := float32(x + textWidth(shown, f) + 2*s)
		vector.StrokeLine(dst, cx, float32(y-10*s), cx, float32(y+10*s), float32(1.5*s), colAccent, aa)
	}
}

// aa is the antialias flag for vector drawing. Ebiten antialiases through an offscreen buffer
// per draw call, which is slow on software GL (Xvfb), so shapes are drawn without it.
const aa = false
