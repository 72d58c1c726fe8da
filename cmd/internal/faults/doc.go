// Package faults holds Skirmish's fault tests with real processes: it builds cmd/lobby,
// cmd/gameserver and cmd/server once per test run (go build into a temporary directory),
// starts them and redis-server on free loopback ports, and then breaks things the way
// production does: SIGKILL on a game server mid-match and on one of two lobby instances
// sharing Redis, a Redis restart while results are in flight, and SIGTERM on every process.
// Players are lobby sessions (package client/lobbyclient) and bots playing in this process
// (package client/bot). Each test logs what it measured (time to notice, results delivered).
//
// The package has tests only; go test ./cmd/internal/faults runs them.
package faults
