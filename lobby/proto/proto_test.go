package proto

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seedLines = []string{
	`{"type":"hello","id":1,"version":1,"role":"player","name":"ada"}`,
	`{"type":"queue","id":2,"mode":"duel","region":"eu"}`,
	`{"type":"match_found","server":"127.0.0.1:7001","transport":"udp","token":"AAEC","match_id":"ab","slot":1,"team":1,"players":2}`,
	`{"type":"room","room":{"id":"r1","mode":"duel","host":"ada","max_players":2,"state":"open","members":[{"name":"ada","player_id":1}]}}`,
	`{"type":"match_result","id":9,"result":{"match_id":"ab","players":[{"player_id":1,"rank":1},{"player_id":2,"rank":2}]}}`,
	`{"type":"error","id":3,"code":"bad_request","message":"x"}`,
	`{"type":"ping"}` + "\r",
	`  `,
	`{"id":1}`,
	`[1,2]`,
	`{"type":"hello"`,
	"{\"type\":\"hello\",\"id\":1,\"version\":1,\"name\":\"a\xffb\"}",
	`{"type":"chat","id":2,"text":"\ud800 \u001b[2J"}`,
}

func TestDecodeTable(t *testing.T) {
	tests := []struct {
		line string
		want Message
		err  bool
	}{
		{`{"type":"ping","id":7}`, Message{Type: "ping", ID: 7}, false},
		{`{"type":"hello","id":1,"version":1,"role":"player","name":"ada"}`, Message{Type: "hello", ID: 1, Version: 1, Role: "player", Name: "ada"}, false},
		{`{"type":"chat","id":2,"text":"hi \u00e9"}`, Message{Type: "chat", ID: 2, Text: "hi é"}, false},
		{`{"id":1}`, Message{}, true},
		{`{"type":"ping"} x`, Message{}, true},
		{`not json`, Message{}, true},
		{`{"type":"ping","id":-1}`, Message{}, true},
		{`null`, Message{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			m, err := Decode([]byte(tt.line))
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m)
		})
	}
	_, err := Decode(bytes.Repeat([]byte{' '}, MaxLineBytes+1))
	require.ErrorIs(t, err, ErrLineTooLong)
}

func TestAppendRoundTrip(t *testing.T) {
	m := &Message{Type: TypeMatchFound, Server: "127.0.0.1:7001", Token: []byte{1, 2, 3}, MatchID: "m", Slot: 1, Team: 1, Players: 2}
	b, err := Append([]byte("x"), m)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("x{")))
	require.True(t, bytes.HasSuffix(b, []byte("}\n")))
	got, err := Decode(b[1 : len(b)-1])
	require.NoError(t, err)
	assert.Equal(t, *m, got)

	_, err = Append(nil, &Message{Type: TypeChat, Text: strings.Repeat("a", MaxLineBytes)})
	require.ErrorIs(t, err, ErrLineTooLong)
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("a", 100)
	in := "one\r\n\ntwo\n" + long + "\nthree\n" + strings.Repeat("b", 64) + "\nfour"
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"onebyte":  iotest.OneByteReader(strings.NewReader(in)),
		"halfread": iotest.HalfReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			lr := NewLineReader(r, 64)
			var got []string
			for range 20 {
				line, err := lr.ReadLine()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					got = append(got, "ERR:"+err.Error())
					continue
				}
				got = append(got, string(line))
			}
			assert.Equal(t, []string{"one", "", "two", "ERR:" + ErrLineTooLong.Error(), "three", strings.Repeat("b", 64), "four"}, got)
		})
	}
}

func TestLineReaderMaxLine(t *testing.T) {
	exact := strings.Repeat("a", MaxLineBytes)
	lr := NewLineReader(strings.NewReader(exact+"\n"+exact+"a\nok\n"), 0)
	line, err := lr.ReadLine()
	require.NoError(t, err)
	require.Len(t, line, MaxLineBytes)
	_, err = lr.ReadLine()
	require.ErrorIs(t, err, ErrLineTooLong)
	line, err = lr.ReadLine()
	require.NoError(t, err)
	require.Equal(t, "ok", string(line))
}

func TestServerMAC(t *testing.T) {
	var key [32]byte
	key[0] = 1
	m := &Message{Name: "gs", Region: "eu", Addr: "127.0.0.1:7001", Transport: "udp", Capacity: 8}
	nonce := []byte("0123456789abcdef")
	m.MAC = ServerMAC(key, nonce, m)
	require.True(t, CheckServerMAC(key, nonce, m))
	m2 := *m
	m2.Capacity = 9
	require.False(t, CheckServerMAC(key, nonce, &m2))
	key[0] = 2
	require.False(t, CheckServerMAC(key, nonce, m))
}

// decodeStream reads every line of r (limit 128) and returns a transcript of lines and errors,
// re-encoding each decoded message and checking it decodes to the same value.
func decodeStream(t *testing.T, r io.Reader, roundTrip bool) []string {
	lr := NewLineReader(r, 128)
	var out []string
	for i := 0; i < 100000; i++ {
		line, err := lr.ReadLine()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			out = append(out, "E:"+err.Error())
			continue
		}
		if len(line) > 128 {
			t.Fatalf("line of %d bytes over limit", len(line))
		}
		if IsBlank(line) {
			out = append(out, "blank")
			continue
		}
		m, err := Decode(line)
		if err != nil {
			out = append(out, "D:"+err.Error())
			continue
		}
		if roundTrip {
			b, err := Append(nil, &m)
			if err != nil {
				t.Fatalf("re-encode %q: %v", line, err)
			}
			m2, err := Decode(b[:len(b)-1])
			if err != nil {
				t.Fatalf("decode re-encoded %q: %v", b, err)
			}
			if !reflect.DeepEqual(m, m2) {
				t.Fatalf("round trip of %q: %+v != %+v", line, m, m2)
			}
		}
		out = append(out, "M:"+m.Type+"/"+string(line))
	}
	t.Fatal("too many lines")
	return nil
}

func FuzzDecodeLine(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s + "\n"))
	}
	f.Add([]byte(strings.Join(seedLines, "\n")))
	f.Add([]byte(strings.Repeat("x", 200) + "\n{\"type\":\"ping\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeStream(t, bytes.NewReader(data), true)
		// Decode alone on the raw input never panics either.
		_, _ = Decode(data)
	})
}

// splitReader delivers its data in two reads, split at a given point.
type splitReader struct {
	parts [][]byte
}

func (s *splitReader) Read(p []byte) (int, error) {
	for len(s.parts) > 0 && len(s.parts[0]) == 0 {
		s.parts = s.parts[1:]
	}
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	s.parts[0] = s.parts[0][n:]
	return n, nil
}

func FuzzDecodeLineChunked(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s + "\n" + s + "\n"))
	}
	f.Add([]byte(strings.Join(seedLines, "\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 512 {
			data = data[:512] // every split point is quadratic; keep each input quick
		}
		want := decodeStream(t, bytes.NewReader(data), false)
		for i := 0; i <= len(data); i++ {
			got := decodeStream(t, &splitReader{parts: [][]byte{data[:i:i], data[i:]}}, false)
			require.Equal(t, want, got, "split at %d", i)
		}
		got := decodeStream(t, iotest.OneByteReader(bytes.NewReader(data)), false)
		require.Equal(t, want, got, "one byte at a time")
	})
}

// A line that is not UTF-8 is refused, not decoded with U+FFFD in place of its bad bytes
// (which made "a\xffb" and "a\xfeb" one nickname); its id and type come back for the reply.
func TestDecodeRejectsInvalidUTF8(t *testing.T) {
	for _, line := range []string{
		"{\"type\":\"hello\",\"id\":7,\"version\":1,\"name\":\"a\xffb\"}",
		"{\"type\":\"hello\",\"id\":7,\"version\":1,\"name\":\"a\xfeb\"}",
		"{\"type\":\"hello\",\"id\":7,\"name\":\"\xed\xa0\x80\"}", // a surrogate in UTF-8 form
	} {
		m, err := Decode([]byte(line))
		require.ErrorIs(t, err, ErrInvalidUTF8, "%q", line)
		assert.Equal(t, Message{Type: TypeHello, ID: 7}, m)
	}
	_, err := Decode([]byte("\xff"))
	require.ErrorIs(t, err, ErrInvalidUTF8)
	m, err := Decode([]byte(`{"type":"hello","id":7,"name":"añ€😀"}`))
	require.NoError(t, err)
	assert.Equal(t, "añ€😀", m.Name)
}
