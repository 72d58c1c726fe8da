package wire

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpectatorAckRoundTrip(t *testing.T) {
	for _, tick := range []uint32{0, 1, 0xFFFFFFFF} {
		m := SpectatorAck{AckTick: tick}
		b, err := m.Append(nil)
		require.NoError(t, err)
		require.Len(t, b, m.Len())
		got, n, err := ParseSpectatorAck(b)
		require.NoError(t, err)
		require.Equal(t, m.Len(), n)
		require.Equal(t, m, got)
	}
	_, _, err := ParseSpectatorAck([]byte{byte(MsgSpectatorAck), 1, 2, 3})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, _, err = ParseSpectatorAck([]byte{byte(MsgInput), 1, 2, 3, 4})
	require.ErrorIs(t, err, ErrWrongType)
}

func TestSpectatorTicket(t *testing.T) {
	tk := Ticket{MatchID: [16]byte{9}, Players: 8, Mode: "ffa", Name: "eve", PlayerID: 5, Spectator: true}
	ud, err := tk.Marshal()
	require.NoError(t, err)
	require.Equal(t, byte(TicketVersionFlags), ud[0])
	got, err := ParseTicket(ud[:])
	require.NoError(t, err)
	require.Equal(t, tk, got)

	// A player's ticket keeps the first layout byte for byte.
	tk.Spectator = false
	ud, err = tk.Marshal()
	require.NoError(t, err)
	require.Equal(t, byte(TicketVersion), ud[0])
	require.Zero(t, ud[78])

	// Unknown flags are refused, not ignored.
	tk.Spectator = true
	ud, _ = tk.Marshal()
	ud[78] = 0x03
	_, err = ParseTicket(ud[:])
	require.True(t, errors.Is(err, ErrBadTicket))
	_, err = ParseTicket(ud[:78])
	require.True(t, errors.Is(err, ErrBadTicket))
}

func FuzzParseSpectatorAck(f *testing.F) {
	fuzzSeeds(f)
	for _, tick := range []uint32{0, 1, 1 << 31} {
		m := SpectatorAck{AckTick: tick}
		b, _ := m.Append(nil)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseSpectatorAck(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}
