package secure

import (
	"bytes"
	"encoding/hex"
	"flag"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testProtocolID = 0x534b49524d495348 // "SKIRMISH"

// countingReader is a deterministic stand-in for crypto/rand: 0, 1, 2, ...
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func testKey(seed byte) Key {
	var k Key
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func testUserData() [UserDataBytes]byte {
	var u [UserDataBytes]byte
	for i := range u {
		u[i] = byte(255 - i)
	}
	return u
}

// goldenTime is the fixed clock of the golden files (2023-11-14T22:13:20Z).
var goldenTime = time.Unix(1_700_000_000, 0)

// checkGolden compares got with testdata/name (hex, 32 bytes a line), or
// rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var sb strings.Builder
		for i := 0; i < len(got); i += 32 {
			sb.WriteString(hex.EncodeToString(got[i:min(i+32, len(got))]))
			sb.WriteByte('\n')
		}
		require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o644))
		return
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run Golden -update to create it")
	want, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	require.NoError(t, err)
	if !bytes.Equal(want, got) {
		t.Fatalf("%s differs from golden (%d vs %d bytes)\n got: %x\nwant: %x", name, len(got), len(want), got, want)
	}
}

// captureConn is a net.PacketConn that records writes and never delivers
// reads (until closed). For driving Server/Client internals directly.
type captureConn struct {
	mu     sync.Mutex
	local  *net.UDPAddr
	writes [][]byte
	to     []net.Addr
	closed chan struct{}
	once   sync.Once
}

func newCaptureConn(local string) *captureConn {
	return &captureConn{local: net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)), closed: make(chan struct{})}
}

func (c *captureConn) ReadFrom(b []byte) (int, net.Addr, error) {
	<-c.closed
	return 0, nil, net.ErrClosed
}

func (c *captureConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, append([]byte(nil), b...))
	c.to = append(c.to, addr)
	return len(b), nil
}

// take returns and forgets the recorded writes.
func (c *captureConn) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes, c.to = nil, nil
	return w
}

func (c *captureConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
func (c *captureConn) LocalAddr() net.Addr                { return c.local }
func (c *captureConn) SetDeadline(t time.Time) error      { return nil }
func (c *captureConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *captureConn) SetWriteDeadline(t time.Time) error { return nil }

// discardConn is a captureConn that keeps nothing (benchmarks, fuzzing).
type discardConn struct{ captureConn }

func newDiscardConn(local string) *discardConn {
	return &discardConn{captureConn{local: net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)), closed: make(chan struct{})}}
}

func (c *discardConn) WriteTo(b []byte, addr net.Addr) (int, error) { return len(b), nil }

var discardLogger = slog.New(slog.DiscardHandler)
