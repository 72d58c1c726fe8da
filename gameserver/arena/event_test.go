package arena

import (
	"errors"
	"io"
	"testing"

	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/stretchr/testify/require"
)

func TestEventRoundTrip(t *testing.T) {
	for _, e := range []Event{
		{Type: EventSpawn, Tick: 7, Player: 3, X: 1000, Y: 2000},
		{Type: EventHit, Tick: 8, Player: 1, Victim: 2, Weapon: sim.WeaponRail, Damage: 50, Health: 50},
		{Type: EventKill, Tick: 9, Player: 1, Victim: 2, Weapon: sim.WeaponLauncher},
		{Type: EventMatchEnd, Tick: 10, Reason: sim.EndTimeLimit},
	} {
		b, err := e.Append(nil)
		require.NoError(t, err)
		require.Len(t, b, e.Len())
		got, n, err := ParseEvent(b)
		require.NoError(t, err)
		require.Equal(t, len(b), n)
		require.Equal(t, e, got)
		_, _, err = ParseEvent(b[:len(b)-1])
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	}
	_, _, err := ParseEvent([]byte{99})
	require.ErrorIs(t, err, ErrBadEvent)
	_, _, err = ParseEvent([]byte{byte(EventKill), 0, 0, 0, 0, 64, 0, 1})
	require.ErrorIs(t, err, ErrBadEvent)
	_, err = (&Event{Type: 0}).Append(nil)
	require.ErrorIs(t, err, ErrBadEvent)
}

func FuzzParseEvent(f *testing.F) {
	for _, e := range []Event{
		{Type: EventSpawn, Tick: 7, Player: 3, X: 1000, Y: 2000},
		{Type: EventHit, Tick: 8, Player: 1, Victim: 2, Weapon: sim.WeaponRail, Damage: 50, Health: 50},
		{Type: EventKill, Tick: 9, Player: 1, Victim: 2, Weapon: sim.WeaponLauncher},
		{Type: EventMatchEnd, Tick: 10, Reason: sim.EndScoreLimit},
	} {
		b, _ := e.Append(nil)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := ParseEvent(b)
		if err != nil {
			require.True(t, errors.Is(err, ErrBadEvent) || errors.Is(err, io.ErrUnexpectedEOF), err)
			return
		}
		out, err := e.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}
