package wire

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleInput() Input {
	return Input{AckTick: 1234, FirstSeq: 65534, Inputs: [][]byte{{1, 2}, {}, {3, 4, 5}}}
}

func sampleSnapshot() Snapshot {
	return Snapshot{HasInput: true, LastInputSeq: 77, InputsApplied: 1 << 20, RepeatedInputs: 3, Delta: []byte{9, 8, 7, 6}}
}

func sampleWelcome() Welcome {
	return Welcome{Version: ProtocolVersion, Slot: 3, Team: 1, Players: 16, TickRate: 60,
		SnapshotRate: 30, Tick: 99, MatchID: [16]byte{1, 2, 3}, Mode: "ffa"}
}

func sampleRoster() Roster {
	return Roster{Players: []RosterEntry{{Slot: 0, Team: 0, Connected: true, Name: "ann"},
		{Slot: 5, Team: 1, Name: ""}}}
}

func TestRoundTrip(t *testing.T) {
	in, snap, wel, ros := sampleInput(), sampleSnapshot(), sampleWelcome(), sampleRoster()
	ev := GameEvent{Data: []byte("kill")}
	chat := Chat{From: 2, Text: "gg"}
	end := MatchEnd{Result: Result{Reason: "time_limit", Scores: []PlayerScore{{Slot: 1, Name: "bo", Score: 3}}}}
	den := Denied{Reason: `unknown mode "team"`}

	type codec struct {
		name   string
		typ    MsgType
		append func([]byte) ([]byte, error)
		parse  func([]byte) (any, int, error)
		want   any
		len    int
	}
	wrap := func(f func([]byte) ([]byte, error)) func([]byte) ([]byte, error) { return f }
	cases := []codec{
		{"input", MsgInput, wrap(in.Append), func(b []byte) (any, int, error) { return ParseInput(b) }, in, in.Len()},
		{"snapshot", MsgSnapshot, snap.Append, func(b []byte) (any, int, error) { return ParseSnapshot(b) }, snap, snap.Len()},
		{"welcome", MsgWelcome, wel.Append, func(b []byte) (any, int, error) { return ParseWelcome(b) }, wel, wel.Len()},
		{"roster", MsgRoster, ros.Append, func(b []byte) (any, int, error) { return ParseRoster(b) }, ros, ros.Len()},
		{"event", MsgGameEvent, ev.Append, func(b []byte) (any, int, error) { return ParseGameEvent(b) }, ev, ev.Len()},
		{"chat", MsgChat, chat.Append, func(b []byte) (any, int, error) { return ParseChat(b) }, chat, chat.Len()},
		{"end", MsgMatchEnd, end.Append, func(b []byte) (any, int, error) { return ParseMatchEnd(b) }, end, -1},
		{"denied", MsgDenied, den.Append, func(b []byte) (any, int, error) { return ParseDenied(b) }, den, den.Len()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("xx")
			b, err := c.append(prefix)
			require.NoError(t, err)
			require.Equal(t, prefix, b[:2])
			msg := b[2:]
			if c.len >= 0 {
				require.Equal(t, c.len, len(msg))
			}
			typ, err := PeekType(msg)
			require.NoError(t, err)
			require.Equal(t, c.typ, typ)
			got, n, err := c.parse(msg)
			require.NoError(t, err)
			require.Equal(t, len(msg), n)
			require.Equal(t, c.want, got)
			// Trailing bytes are left for the caller.
			_, n, err = c.parse(append(bytes.Clone(msg), 0xff))
			require.NoError(t, err)
			require.Equal(t, len(msg), n)
			// Every truncation is io.ErrUnexpectedEOF, never a panic.
			for i := range len(msg) {
				_, _, err := c.parse(msg[:i])
				require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", i)
			}
			// Another type's byte 0 is ErrWrongType.
			bad := bytes.Clone(msg)
			bad[0] = 0xee
			_, _, err = c.parse(bad)
			require.ErrorIs(t, err, ErrWrongType)
		})
	}
}

func TestInputLastSeqWraps(t *testing.T) {
	in := sampleInput()
	assert.Equal(t, uint16(0), in.LastSeq())
}

func TestLimits(t *testing.T) {
	big := make([]byte, MaxInputBytes+1)
	_, err := (&Input{Inputs: [][]byte{big}}).Append(nil)
	require.ErrorIs(t, err, ErrTooLong)
	_, err = (&Input{Inputs: make([][]byte, MaxInputsPerMessage+1)}).Append(nil)
	require.ErrorIs(t, err, ErrTooLong)
	_, err = (&Input{}).Append(nil)
	require.ErrorIs(t, err, ErrTooLong)

	// A forged length above the limit is refused before the bytes are read.
	b := []byte{byte(MsgInput), 0, 0, 0, 0, 0, 0, 1, MaxInputBytes + 1}
	_, _, err = ParseInput(b)
	require.ErrorIs(t, err, ErrTooLong)
	b = []byte{byte(MsgInput), 0, 0, 0, 0, 0, 0, MaxInputsPerMessage + 1}
	_, _, err = ParseInput(b)
	require.ErrorIs(t, err, ErrTooLong)
	b = []byte{byte(MsgInput), 0, 0, 0, 0, 0, 0, 0}
	_, _, err = ParseInput(b)
	require.ErrorIs(t, err, ErrMalformed)

	s := []byte{byte(MsgSnapshot), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	s = binary.LittleEndian.AppendUint32(s, MaxSnapshotBytes+1)
	_, _, err = ParseSnapshot(s)
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = ParseSnapshot([]byte{byte(MsgSnapshot), 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed)
	_, _, err = ParseSnapshot([]byte{byte(MsgSnapshot), 0, 0, 0, 0, 0, 0, 0})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a version-1 header is short")
	_, _, err = ParseDenied([]byte{byte(MsgDenied), MaxReasonBytes + 1})
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = ParseDenied([]byte{byte(MsgDenied), 3, 'a'})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	_, _, err = ParseRoster([]byte{byte(MsgRoster), MaxRosterPlayers + 1})
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = ParseChat([]byte{byte(MsgChat), 0, MaxChatBytes + 1})
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = ParseGameEvent([]byte{byte(MsgGameEvent), 0xff, 0xff})
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = ParseMatchEnd([]byte{byte(MsgMatchEnd), 2, 0, '{', '!'})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = PeekType(nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestAppendAllocs(t *testing.T) {
	in, snap := sampleInput(), sampleSnapshot()
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		b, _ := in.Append(buf[:0])
		b, _ = snap.Append(b)
		_, _, _ = ParseSnapshot(b[in.Len():])
	})
	require.Zero(t, allocs)
}

// fuzzSeeds adds every sample message (and its truncations' shortest form) to f.
func fuzzSeeds(f *testing.F) {
	in, snap, wel, ros := sampleInput(), sampleSnapshot(), sampleWelcome(), sampleRoster()
	ev := GameEvent{Data: []byte{1}}
	chat := Chat{Text: "hi"}
	end := MatchEnd{Result: Result{Reason: "x"}}
	den := Denied{Reason: "full"}
	for _, app := range []func([]byte) ([]byte, error){in.Append, snap.Append, wel.Append, ros.Append, ev.Append, chat.Append, end.Append, den.Append} {
		b, err := app(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{byte(MsgInput), 0, 0, 0, 0, 0, 0, 16, 64})
}

func FuzzParseInput(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseInput(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseSnapshot(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseSnapshot(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		if m.HasInput || m.LastInputSeq == 0 {
			require.Equal(t, b[:n], out)
		}
	})
}

func FuzzParseDenied(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseDenied(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseWelcome(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseWelcome(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseRoster(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseRoster(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseGameEvent(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseGameEvent(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseChat(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseChat(b)
		if err != nil {
			return
		}
		out, err := m.Append(nil)
		require.NoError(t, err)
		require.Equal(t, b[:n], out)
	})
}

func FuzzParseMatchEnd(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := ParseMatchEnd(b)
		if err != nil {
			return
		}
		// JSON is not canonical; re-encoding must parse back to the same value.
		out, err := m.Append(nil)
		require.NoError(t, err)
		m2, _, err := ParseMatchEnd(out)
		require.NoError(t, err)
		require.Equal(t, m, m2)
	})
}

func FuzzParseTicket(f *testing.F) {
	tk := Ticket{MatchID: [16]byte{7}, Slot: 1, Team: 1, Players: 4, Mode: "ffa", Name: "zed", PlayerID: 42}
	ud, err := tk.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ud[:])
	tk.Spectator, tk.Slot = true, 0
	if ud, err = tk.Marshal(); err != nil {
		f.Fatal(err)
	}
	f.Add(ud[:])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := ParseTicket(b)
		if err != nil {
			return
		}
		ud, err := tk.Marshal()
		require.NoError(t, err)
		tk2, err := ParseTicket(ud[:])
		require.NoError(t, err)
		require.Equal(t, tk, tk2)
	})
}
