package arena

import (
	"slices"

	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
)

// Inputs turns the input bytes a match applies on each tick into the sim.Inputs of one
// sim.World.Step, the way the game server does it (arenahost's Game), so anything that
// re-simulates a match (a replay's playback in the client) steps the world exactly alike:
//
//   - a slot given no input this tick, or input bytes that do not parse, repeats its last
//     good input;
//   - a repeated input never fires the alt weapon again (one click, one rail shot);
//   - a slot's last input is forgotten when it joins ([Inputs.Reset]).
//
// Use: [Inputs.Begin], then [Inputs.Set] for each slot with input, then pass
// [Inputs.Step] to sim.World.Step. The zero value is ready.
type Inputs struct {
	last [sim.MaxPlayers]sim.Input
	step [sim.MaxPlayers]sim.Input
	// Invalid counts input bytes that did not parse (replaced by the last good input).
	Invalid uint64
}

// Reset forgets slot's last input (a player joined it).
func (in *Inputs) Reset(slot uint8) {
	if int(slot) < len(in.last) {
		in.last[slot] = sim.Input{}
	}
}

// Begin starts a tick: every slot repeats its last input, without the alt fire.
func (in *Inputs) Begin() {
	for i := range in.step {
		in.step[i] = in.last[i]
		in.step[i].AltFire = false
	}
}

// Set is slot's input bytes this tick (sim.Input's binary encoding); repeated says the server
// had no fresh input and repeated the last one.
func (in *Inputs) Set(slot uint8, data []byte, repeated bool) {
	if int(slot) >= len(in.last) {
		return
	}
	v, _, err := sim.ParseInput(data)
	if err != nil {
		in.Invalid++
		return
	}
	in.last[slot] = v
	if repeated {
		v.AltFire = false
	}
	in.step[slot] = v
}

// Step returns the inputs of this tick's sim.World.Step (one per slot); valid until the
// next Begin.
func (in *Inputs) Step() []sim.Input { return in.step[:] }

// AppendEntities appends the snapshot entities of w to dst: players (ID = slot), then
// projectiles and beams, sorted by ID. The game server snapshots a match with it, and a
// replay's playback draws its re-simulated world through the same entities.
func AppendEntities(dst []snapshot.Entity, w *sim.World) []snapshot.Entity {
	for slot := range w.MaxPlayers() {
		if p, ok := w.Player(uint8(slot)); ok {
			dst = append(dst, PlayerEntity(&p))
		}
	}
	start := len(dst)
	shots := w.Projectiles()
	for i := range shots {
		dst = append(dst, ProjectileEntity(&shots[i]))
	}
	beams := w.Beams()
	for i := range beams {
		dst = append(dst, BeamEntity(&beams[i]))
	}
	tail := dst[start:]
	if !slices.IsSortedFunc(tail, byID) {
		slices.SortFunc(tail, byID)
	}
	return dst
}

func byID(a, b snapshot.Entity) int { return int(a.ID) - int(b.ID) }
