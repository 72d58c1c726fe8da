// Package playback plays a recorded match (a replay file of package gameserver/replay) as
// the client's match scene: it re-simulates the match with Arena's shared rules
// (gameserver/sim and gameserver/arena; never the game server itself) and fills a
// [client.Scene] at any moment of it, so the Ebiten front end draws a replay with the same
// match view, HUD, scoreboard and kill feed as a live match. It has no Ebiten and no clock
// of its own: the front end (client/render's replay screen) passes the frame time in.
//
// How the pieces fit:
//
//   - [Open] and [Load] read a whole replay (bounded by replay.MaxBodyBytes) and check it
//     names a game this client can play (Arena). A missing, corrupt or truncated file is an
//     error, never a panic.
//   - A [Player] holds the timeline: the shown position (a fractional tick), pause and speed
//     ([Speeds], 0.25× to 8×), and the player the view follows (or none: a free camera).
//     [Player.Advance] moves the position by a frame's time; [Player.Seek] jumps anywhere.
//   - The re-simulation makes exactly the calls the game server made: per tick, the Joins,
//     Leaves and input changes recorded at it, then one sim.World.Step with the inputs of
//     the present slots applied as arena.Inputs says. Each world checksum in the replay is
//     compared on the way ([Status].Mismatch is the first tick that differed), so a replay
//     played here is the match that was recorded.
//   - Keyframes: every [KeyframeEvery] seconds of the match the first pass keeps a clone of the world
//     (sim.World.Clone) in memory. Seeking re-simulates from the newest keyframe at least
//     the kill feed's lifetime before the target (so the feed and effects at the target are
//     complete), never from the start; seeking forward past what was simulated runs on.
//   - [Player.Scene] turns the world at the two ticks around the position into snapshots
//     (arena.AppendEntities) and fills the scene through client.NewArenaRules, the live
//     client's own conversion; game events become kill feed lines and effects the same way,
//     aged in match time. At the End tick the scene is over and shows the recorded result.
package playback
