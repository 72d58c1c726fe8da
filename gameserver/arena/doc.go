// Package arena is what the Arena game's server and clients share: its modes, map, snapshot
// schema and entity and event codecs. It imports nothing of the game server, so a client or a
// bot links it without the server; the server-side adapter that makes Arena a
// gameserver.Game is package gameserver/arena/arenahost.
//
// [Modes] lists Arena's modes: each one's title, player counts, teams and fill timeout (which
// the game server announces to the lobby) and its rules (score and time limits) and map under
// assets/maps. On assets/maps/arena.json: "ffa" (the default, 2–16 players, 20 frags or 5
// minutes), "teams" (two teams, 4–16 players, 50 team frags, no friendly fire, each team
// spawning in its own half), "duel" (2 players, 10 frags) and "quick" (2–8, 5 frags or 1
// minute); on assets/maps/large.json, "large" (two teams, 16–64 players, 150 team frags or 10
// minutes). A mode's Teams and FriendlyFire become the sim.Config's ([ModeConfig]); the world
// puts players on balanced teams whatever the connect tokens ask (sim.World.Join), so a
// player's team is the one in snapshots and results. arenahost's Game decodes each player's
// input bytes (sim.Input's 8-byte encoding), steps the world, turns the world into snapshot
// entities with [PlayerEntity], [ProjectileEntity] and [BeamEntity] and its events into
// [Event] bytes with [EventFromSim].
//
// # Entities
//
// [Schema] has three kinds. Players ([KindPlayer], ID = slot) carry exact position and
// velocity (so the client predicts from them; position fields are velocity-predicted by the
// delta codec, so a player running straight costs almost nothing), a 10-bit aim, health,
// flags, score, deaths, alt-weapon cooldown, respawn timer and team. Projectiles
// ([KindProjectile]) carry their launch point, velocity and launch tick, which never
// change, so a projectile in flight costs one bit per delta; its position at any tick is
// sim.Projectile.At. Beams ([KindBeam]) are hitscan traces. [PlayerFromEntity],
// [ProjectileFromEntity] and [BeamFromEntity] turn entities back into sim state.
//
// # Client side
//
// With the welcome's mode, player count and tick rate: [ModeConfig] gives the sim.Config and
// [LoadMap] the map for sim.PredictPlayer; encode controls with sim.Input.AppendBinary,
// setting ViewTick/ViewFrac to the server tick being displayed; decode reliable game
// events with [ParseEvent]: Spawn (to the spawned player), Hit (to attacker and victim),
// Kill (everyone, the kill feed) and MatchEnd (everyone). Names and the final scoreboard
// come from the game server's roster and result messages.
package arena
