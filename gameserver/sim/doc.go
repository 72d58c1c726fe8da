// Package sim is the rules of Arena, Skirmish's reference game, as pure deterministic code.
// The game server runs a [World] authoritatively; the client runs [PredictPlayer], the same
// movement code, to predict its own player. Package gameserver/arena adapts a World to the
// game server's Game interface and converts it to and from snapshot entities.
//
// # Arena
//
// A top-down shooter for 2 to [MaxPlayers] = 64 players, every one for themselves or in
// teams, on a [Map] of solid rectangular walls and spawn points, read from JSON ([ParseMap];
// assets/maps/arena.json is a 1600×1000 arena for up to 16 with a central pillar, an inner
// ring of cover, corner bunkers and side spurs; assets/maps/large.json a 3200×2400 field for
// up to 64). Every player is a circle of [PlayerRadius] pixels:
//
//   - Movement: the [Input] move vector (keyboard -127/0/127 or an analogue stick, scaled
//     to at most length 127) sets a wished velocity of up to 270 px/s; velocity approaches
//     it by at most 2200 px/s² and, with no move input, brakes at 2600 px/s². Walls and
//     the map's edges stop the circle and it slides along them (the velocity component
//     into the wall is removed). Players do not collide with each other.
//   - Primary fire (held): a projectile every 150 ms, 800 px/s, 20 damage, lives 1.5 s;
//     it is a world entity that flies in a straight line and is removed when it touches
//     a wall, a player other than its owner, or its life ends. Not lag compensated.
//   - Alt fire: an instant hitscan rail, 50 damage, range 1400 px, 1.5 s cooldown, stopped
//     by walls, lag compensated (see below); it leaves a [Beam] visible for 150 ms.
//   - 100 health; at 0 the player dies, the killer scores a frag, and the victim respawns
//     2 s later at the spawn point farthest from living players (ties broken by the
//     world's seeded generator) with 1 s of spawn protection, which firing ends.
//   - The match ends when a player reaches the score limit (default 20) or at the time
//     limit (default 300 s); see [Config].
//
// # Teams
//
// With [Config].Teams ≥ 2 players play in teams. [World.Join] keeps teams balanced; a team's
// score ([World.TeamScore]) is the sum of its players' frags and the score limit is a
// team's. Without [Config].FriendlyFire teammates are not targets: shots pass through them.
// With it they take damage, but killing a teammate scores nothing. In two-team play on a map
// with spawn points in both halves, team 0 spawns in the west half and team 1 in the east.
//
// # Determinism
//
// A World is a pure function of NewWorld's arguments and the sequence of Join, Leave and
// Step calls: no I/O, clocks, global state or map iteration, one seeded splitmix64
// generator inside the state, players processed in slot order. The state is integers:
// positions in 1/16 pixel ([SubPixels]), velocities in 1/16 pixel per tick, angles as
// uint16 turns with an integer sine ([Direction]) and exact integer square roots, so
// results are identical on every CPU and the quantisation a snapshot applies is the
// identity for position and velocity: the client's prediction is exact. [World.Hash]
// fingerprints the whole state for replay checks.
//
// # Lag compensation
//
// The World keeps [HistoryMillis] of player positions. A hitscan shot is resolved against
// other players where they were at the input's ViewTick + ViewFrac/256 (the moment the
// shooter was looking at), rewinding at most [MaxRewindMillis] (15 ticks at 60 Hz); older
// views are clamped to that limit. See [World.RewindTo] and lagcomp.go.
package sim
