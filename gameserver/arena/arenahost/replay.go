package arenahost

import "github.com/skirmish-go/skirmish/gameserver"

var (
	_ gameserver.Checksummer = (*Game)(nil)
	_ gameserver.MapNamer    = (*Game)(nil)
)

// Checksum implements gameserver.Checksummer: the hash of the whole simulation state
// (sim.World.Hash), which replays store once a second.
func (g *Game) Checksum() uint64 { return g.world.Hash() }

// MapName implements gameserver.MapNamer.
func (g *Game) MapName() string { return g.world.Map().Name }
