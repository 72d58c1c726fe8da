// Package lobbyclient is the player's side of the lobby protocol (lobby/proto): it dials the
// lobby (TLS optional), says hello, queues, manages rooms, asks for reconnect tokens and
// delivers what the lobby pushes (match_found, match_ended, room updates, chat, shutdown) on
// one channel. Requests are matched to replies by id and time out on their own, so one Client
// can be shared by goroutines. Bots run a thousand of them in one process: each costs one
// reader goroutine and a small buffer.
package lobbyclient
