package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Match is what the lobby answers a quick match with: where to play and the connect token.
type Match struct {
	Server    string // game server address, host:port
	Transport string // "udp" or "kcp"
	Token     []byte
	MatchID   string
}

// Matchmaker gets one bot into a match. Close ends its lobby session.
type Matchmaker interface {
	QuickMatch(ctx context.Context, name, mode string) (Match, error)
	Close() error
}

// ErrLobbyClosed is returned when the lobby ends the session before a match is found.
var ErrLobbyClosed = errors.New("bot: lobby closed the session")

// lobbyMatchmaker is a bot's lobby session through package client/lobbyclient: hello as a
// player, quick match, then the match_found event. After that it keeps reading the lobby's
// events (match_ended and the like) until Close, as a lobbyclient must.
type lobbyMatchmaker struct {
	c       *lobbyclient.Client
	drained sync.WaitGroup
}

// DialLobby opens a lobby session at addr for a bot.
func DialLobby(ctx context.Context, addr string) (Matchmaker, error) {
	c, err := lobbyclient.Dial(ctx, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("bot: dial lobby %s: %w", addr, err)
	}
	return &lobbyMatchmaker{c: c}, nil
}

func (l *lobbyMatchmaker) QuickMatch(ctx context.Context, name, mode string) (Match, error) {
	if _, err := l.c.Hello(ctx, name); err != nil {
		return Match{}, fmt.Errorf("bot: hello: %w", err)
	}
	if err := l.c.QuickMatch(ctx, mode, ""); err != nil {
		return Match{}, fmt.Errorf("bot: quick match: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return Match{}, fmt.Errorf("bot: waiting for a match: %w", ctx.Err())
		case m, ok := <-l.c.Events():
			if !ok {
				return Match{}, fmt.Errorf("%w: %w", ErrLobbyClosed, l.c.Err())
			}
			if m.Type == proto.TypeError || m.Type == proto.TypeShutdown {
				return Match{}, fmt.Errorf("%w: %s %s: %s", ErrLobbyClosed, m.Type, m.Code, m.Message)
			}
			if m.Type != proto.TypeMatchFound {
				continue
			}
			l.drained.Add(1)
			go func() {
				defer l.drained.Done()
				for range l.c.Events() {
				}
			}()
			return Match{Server: m.Server, Transport: m.Transport, Token: m.Token, MatchID: m.MatchID}, nil
		}
	}
}

func (l *lobbyMatchmaker) Close() error {
	err := l.c.Close()
	l.drained.Wait()
	return err
}
