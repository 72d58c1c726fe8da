// Package walkers is the smallest complete game on Skirmish, and the scene the project's
// bandwidth and CPU figures are compared on: exactly the Colyseus peer scene
// (../shared/peers/colyseus/server.mjs). Up to 64 walkers wander a 1600 × 1200 arena at
// 60 Hz, each turning now and then, losing health and scoring at random, all driven by one
// linear congruential generator; players only watch.
//
// This package is what server and client share, and imports nothing of the server:
//
//   - [World] is the rules: Join, Leave, Step, transliterated from the peer's JavaScript in
//     the same float64 arithmetic (TestWorldMatchesPeerScene checks thousands of ticks bit
//     for bit against a line-by-line transliteration).
//   - [Leg] is what clients predict: a walker's straight line since its last turn, quantised
//     (1/32 px, 2π/4096) and extrapolated with integer arithmetic from a table, so server and
//     clients agree bit for bit. World keeps every leg within [Tolerance] of the truth.
//   - [Schema] and [Codec] carry legs in snapshots (package gameserver/snapshot does the
//     header, the history and the one-encoding-per-baseline sharing): a walker that keeps
//     walking costs nothing, one that turned costs about 4 bytes.
//   - [Mode] is the one mode, "walkers", 1–64 players with a 2 s fill timeout.
//
// The server's adapter (a gameserver.Game) is package gameserver/walkers/walkershost; the
// client's rules are in package client (walkers.go).
package walkers
