// Package demo is an offline stand-in for the client core: a Backend for client/render that
// fakes the lobby (connect, quick match, public and private rooms, ready check, chat) and runs a
// small team match of bots on the game's default map (assets.Map), so the renderer can be
// seen, developed and tested without a server (cmd/client -demo).
//
// It is not the game: the rules here (movement, bolts, the rail alt-fire, respawns) are just
// enough to make a believable picture. The real rules live in gameserver/sim and reach the
// renderer through the client core, which fills the same client.Scene and client.LobbyView.
//
// Time is read from Config.Now at each call of Lobby or Scene and the world advances in fixed
// 1/60 s ticks, so tests drive it exactly with a fake clock. A Backend is safe for concurrent use.
package demo
