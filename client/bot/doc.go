// Package bot plays Skirmish without a person: the [Brain] (move, aim at the nearest enemy,
// shoot when in range and in sight, steer around walls) runs on the same client core as the
// Ebiten front end, reading the same [client.Scene] a player sees and producing the same
// [client.Controls].
//
// [Run] is the load driver behind cmd/bots: N bots, each with its own lobby session (package
// client/lobbyclient: hello, quick match, match_found) and its own UDP socket (optionally
// impaired with netcode/netsim), play for a duration. All bots share one ticker at
// Config.UpdateRate (30 Hz: each update runs the input ticks due and sends them in one
// packet; a thousand timers would only contend); each bot's connection catches up on its
// own clock, and its brain looks at the world every other update. Game dials are paced
// (Config.DialRate), since the game server limits handshakes per source host. Each bot
// sends a numbered chat line every two seconds and checks that the server relays its lines
// back exactly once and in order, which measures the reliable channel end to end. The
// [Summary] aggregates what they measured; its JSON is the last line of `cmd/bots -json`.
package bot
