package lobbyclient

import (
	"context"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// LiveMatches lists the running matches one can watch (of mode, or all for ""), the longest
// running first.
func (c *Client) LiveMatches(ctx context.Context, mode string) ([]proto.LiveMatch, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeLiveList, Mode: mode})
	return r.Live, err
}

// Spectate asks for a spectator's connect token to a running match. The result's Slot is
// meaningless (a spectator takes no seat); connect with it as with a match_found.
func (c *Client) Spectate(ctx context.Context, matchID string) (MatchFound, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeSpectate, MatchID: matchID})
	if err != nil {
		return MatchFound{}, err
	}
	mf := MatchFoundOf(r)
	mf.Spectator = true
	return mf, nil
}
