package kcp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleHello() hello {
	h := hello{Version: ProtocolVersion, ProtocolID: testProtocolID, ExpireTimestamp: 1_900_000_000}
	rand.Read(h.Salt[:])
	rand.Read(h.Nonce[:])
	rand.Read(h.PrivateData[:])
	return h
}

func TestHelloRoundTrip(t *testing.T) {
	h := sampleHello()
	b := h.Append(nil)
	require.Len(t, b, h.Len())
	got, n, err := parseHello(b)
	require.NoError(t, err)
	require.Equal(t, helloBytes, n)
	require.Equal(t, h, got)
	_, _, err = parseHello(b[:len(b)-1])
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestFrameHeaderLimits(t *testing.T) {
	for _, tt := range []struct {
		h  frameHeader
		ok bool
	}{
		{frameHeader{FrameHello, helloBytes}, true},
		{frameHeader{FrameHello, helloBytes + 1}, false},
		{frameHeader{FrameWelcome, welcomeBytes}, true},
		{frameHeader{FrameDenied, 1}, true},
		{frameHeader{FrameDenied, 2}, false},
		{frameHeader{FrameMessage, tagBytes}, true},
		{frameHeader{FrameMessage, maxFrameBody}, true},
		{frameHeader{FrameMessage, maxFrameBody + 1}, false},
		{frameHeader{FrameMessage, tagBytes - 1}, false},
		{frameHeader{FrameMessage, 1 << 31}, false},
		{frameHeader{FrameKeepAlive, tagBytes}, true},
		{frameHeader{FrameClose, 0}, false},
		{frameHeader{FrameType(0), 0}, false},
		{frameHeader{FrameType(0x99), 16}, false},
	} {
		got, n, err := parseFrameHeader(tt.h.Append(nil))
		if !tt.ok {
			require.ErrorIs(t, err, ErrProtocol, "%+v", tt.h)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, frameHeaderBytes, n)
		require.Equal(t, tt.h, got)
	}
	_, _, err := parseFrameHeader([]byte{4, 0, 0})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestSealedFrames: frames open in order exactly once; a replayed,
// reordered or altered frame fails.
func TestSealedFrames(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	tx, err := newSealer(key)
	require.NoError(t, err)
	rx, err := newSealer(key)
	require.NoError(t, err)
	var frames [][]byte
	for _, m := range []string{"one", "two", ""} {
		f := tx.appendFrame(nil, FrameMessage, nil, []byte(m))
		tx.commit()
		frames = append(frames, f)
	}
	open := func(s *sealer, f []byte) ([]byte, error) {
		f = bytes.Clone(f)
		return s.open(f[:frameHeaderBytes], f[frameHeaderBytes:], 0)
	}
	// Out of order fails, and leaves the counter where it was.
	_, err = open(rx, frames[1])
	require.ErrorIs(t, err, ErrAuthFailed)
	m, err := open(rx, frames[0])
	require.NoError(t, err)
	require.Equal(t, "one", string(m))
	_, err = open(rx, frames[0]) // replay
	require.ErrorIs(t, err, ErrAuthFailed)
	bad := bytes.Clone(frames[1])
	bad[0] = byte(FrameKeepAlive) // the header is authenticated
	_, err = open(rx, bad)
	require.ErrorIs(t, err, ErrAuthFailed)
	m, err = open(rx, frames[1])
	require.NoError(t, err)
	require.Equal(t, "two", string(m))
	m, err = open(rx, frames[2])
	require.NoError(t, err)
	require.Empty(t, m)
}

func FuzzParseHello(f *testing.F) {
	h := sampleHello()
	f.Add(h.Append(nil))
	f.Add([]byte{})
	f.Add(make([]byte, helloBytes-1))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseHello(b)
		if err != nil {
			if len(b) >= helloBytes {
				t.Fatalf("error on %d bytes: %v", len(b), err)
			}
			return
		}
		if got := h.Append(nil); !bytes.Equal(got, b[:n]) {
			t.Fatalf("re-encoded hello differs")
		}
	})
}

// FuzzReadFrame feeds arbitrary streams to the frame reader: it must return
// errors, never panic or allocate past the limit, and what it accepts must
// re-encode to the same bytes.
func FuzzReadFrame(f *testing.F) {
	h := sampleHello()
	f.Add(h.Append(frameHeader{FrameHello, helloBytes}.Append(nil)))
	f.Add(append(frameHeader{FrameDenied, 1}.Append(nil), byte(DenyServerFull)))
	f.Add(append(frameHeader{FrameMessage, 20}.Append(nil), make([]byte, 20)...))
	f.Add(frameHeader{FrameMessage, 0xffffffff}.Append(nil))
	f.Add(append(frameHeader{FrameKeepAlive, 16}.Append(nil), make([]byte, 10)...))
	f.Add([]byte{0x42, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var hdr [frameHeaderBytes]byte
		r := bytes.NewReader(b)
		for range 8 {
			h, body, err := readFrame(r, &hdr)
			if err != nil {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(body) > maxFrameBody {
				t.Fatalf("body of %d bytes", len(body))
			}
			enc := append(h.Append(nil), body...)
			if !bytes.Equal(enc, b[:len(enc)]) {
				t.Fatalf("re-encoded frame differs")
			}
			b = b[len(enc):]
			if h.Type == FrameHello {
				if _, _, err := parseHello(body); err != nil {
					t.Fatalf("hello frame body does not parse: %v", err)
				}
			}
		}
	})
}

func BenchmarkSealOpen100(b *testing.B) {
	key := make([]byte, 32)
	tx, _ := newSealer(key)
	rx, _ := newSealer(key)
	msg := make([]byte, 100)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = tx.appendFrame(buf[:0], FrameMessage, nil, msg)
		tx.commit()
		if _, err := rx.open(buf[:frameHeaderBytes], buf[frameHeaderBytes:], 0); err != nil {
			b.Fatal(err)
		}
	}
}
