package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Map limits, checked by [ParseMap] and [Map.Validate].
const (
	MinMapSize   = 200  // pixels, each side
	MaxMapSize   = 4000 // pixels, each side: positions stay below 2^16 world units
	MaxWalls     = 256
	MaxSpawns    = 64
	maxMapSource = 1 << 20
)

// ErrBadMap reports a map that cannot be played.
var ErrBadMap = errors.New("sim: bad map")

// Rect is an axis-aligned wall in pixels: X, Y is the top-left corner.
type Rect struct {
	X int32 `json:"x"`
	Y int32 `json:"y"`
	W int32 `json:"w"`
	H int32 `json:"h"`
}

// Point is a position in pixels.
type Point struct {
	X int32 `json:"x"`
	Y int32 `json:"y"`
}

// Map is an arena: a rectangle of Width×Height pixels, solid walls and spawn points. The
// outside of the rectangle is solid too. Coordinates are pixels; the simulation multiplies
// them by [SubPixels].
type Map struct {
	Name   string  `json:"name"`
	Width  int32   `json:"width"`
	Height int32   `json:"height"`
	Walls  []Rect  `json:"walls"`
	Spawns []Point `json:"spawns"`
}

// ParseMap reads a map from its JSON form (see assets/maps) and validates it.
func ParseMap(data []byte) (*Map, error) {
	if len(data) > maxMapSource {
		return nil, fmt.Errorf("%w: %d bytes of JSON", ErrBadMap, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Map
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMap, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the map's size, its walls' bounds and that every spawn point leaves a
// player room to stand.
func (m *Map) Validate() error {
	if m.Width < MinMapSize || m.Width > MaxMapSize || m.Height < MinMapSize || m.Height > MaxMapSize {
		return fmt.Errorf("%w: size %dx%d outside %d..%d", ErrBadMap, m.Width, m.Height, MinMapSize, MaxMapSize)
	}
	if len(m.Walls) > MaxWalls {
		return fmt.Errorf("%w: %d walls (max %d)", ErrBadMap, len(m.Walls), MaxWalls)
	}
	if len(m.Spawns) == 0 || len(m.Spawns) > MaxSpawns {
		return fmt.Errorf("%w: %d spawn points (want 1..%d)", ErrBadMap, len(m.Spawns), MaxSpawns)
	}
	for i, r := range m.Walls {
		if r.W <= 0 || r.H <= 0 || r.X < 0 || r.Y < 0 || r.X+r.W > m.Width || r.Y+r.H > m.Height {
			return fmt.Errorf("%w: wall %d %+v outside the map", ErrBadMap, i, r)
		}
	}
	for i, s := range m.Spawns {
		x, y := s.X*SubPixels, s.Y*SubPixels
		if !m.clear(x, y, playerRadius) {
			return fmt.Errorf("%w: spawn %d at %d,%d is not clear of walls", ErrBadMap, i, s.X, s.Y)
		}
	}
	return nil
}

// Clear reports whether a circle of radius r pixels at x, y pixels touches no wall and lies
// inside the map. Renderers and tools use it; the simulation works in world units.
func (m *Map) Clear(x, y, r int32) bool {
	return m.clear(x*SubPixels, y*SubPixels, r*SubPixels)
}

// clear is Clear in world units.
func (m *Map) clear(x, y, r int32) bool {
	if x < r || y < r || x > m.Width*SubPixels-r || y > m.Height*SubPixels-r {
		return false
	}
	for i := range m.Walls {
		w := wallBox(m.Walls[i])
		if circleHitsBox(x, y, r, w) {
			return false
		}
	}
	return true
}

// box is a wall in world units, min inclusive, max exclusive.
type box struct{ x0, y0, x1, y1 int32 }

func wallBox(r Rect) box {
	return box{r.X * SubPixels, r.Y * SubPixels, (r.X + r.W) * SubPixels, (r.Y + r.H) * SubPixels}
}

// closest returns the point of b nearest to (x, y).
func (b box) closest(x, y int32) (int32, int32) {
	return clamp32(x, b.x0, b.x1), clamp32(y, b.y0, b.y1)
}

func circleHitsBox(x, y, r int32, b box) bool {
	cx, cy := b.closest(x, y)
	dx, dy := int64(x-cx), int64(y-cy)
	return dx*dx+dy*dy < int64(r)*int64(r)
}
