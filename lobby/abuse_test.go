package lobby

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// readAll reads lines until the connection ends (bounded by waitFor) and returns the decoded
// messages and the error that ended the reading.
func readAll(t *testing.T, nc net.Conn) ([]proto.Message, error) {
	t.Helper()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(waitFor)))
	lr := proto.NewLineReader(nc, 0)
	var out []proto.Message
	for {
		line, err := lr.ReadLine()
		if err != nil {
			return out, err
		}
		m, err := proto.Decode(line)
		require.NoError(t, err, "line %q", line)
		out = append(out, m)
	}
}

// A client sending about 1,500 messages per second (far over the rate of 20/s) is closed with
// rate_limited, although one of its messages passes now and then.
func TestRateLimitSustainedFloodClosed(t *testing.T) {
	_, addr := startLobby(t, testConfig()) // default rate: 20/s, bursts of 40, MaxDropped 120
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()

	type result struct {
		msgs []proto.Message
		err  error
	}
	read := make(chan result, 1)
	go func() {
		msgs, err := readAll(t, nc)
		read <- result{msgs, err}
	}()
	// 15 pings every 10 ms, for at most 4 s.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	id := 0
	var res result
	start := time.Now()
send:
	for range 400 {
		select {
		case res = <-read:
			break send
		case <-tick.C:
			var b strings.Builder
			for range 15 {
				id++
				fmt.Fprintf(&b, `{"type":"ping","id":%d}`+"\n", id)
			}
			if _, err := nc.Write([]byte(b.String())); err != nil {
				res = <-read
				break send
			}
		}
	}
	if res.msgs == nil && res.err == nil {
		_ = nc.SetReadDeadline(time.Now()) // still connected: stop the reader
		res = <-read
		t.Fatalf("a client sending 1,500 messages/s for %v was not disconnected (sent %d)", time.Since(start).Round(time.Millisecond), id)
	}
	t.Logf("closed after %v, %d messages sent, %d lines received", time.Since(start).Round(time.Millisecond), id, len(res.msgs))
	require.NotEmpty(t, res.msgs)
	last := res.msgs[len(res.msgs)-1]
	assert.Equal(t, proto.CodeRateLimited, last.Code, "%+v", last)
	assert.Contains(t, last.Message, "closing")
	assert.ErrorIs(t, res.err, io.EOF)
}

// A client that stays within the rate is never closed, even right after a burst.
func TestRateLimitNormalClientStays(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := helloRaw(t, addr, "calm")
	// A burst the bucket holds, then 10 messages per second.
	for range 30 {
		assert.Equal(t, proto.TypePong, r.req(map[string]any{"type": "ping"}).Type)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range 15 {
		<-tick.C
		assert.Equal(t, proto.TypePong, r.req(map[string]any{"type": "ping"}).Type)
	}
}

// The drop bucket drains: drops spread thinly over time never close a connection, and one
// allowed message does not forgive drops close together.
func TestDropBucket(t *testing.T) {
	s := New(Config{MsgRate: 20, MsgBurst: 40})
	require.Equal(t, 120, s.cfg.MaxDropped)
	c := newConn(s, nil, netip.Addr{})
	now := time.Unix(1000, 0)
	for i := 1; i < 120; i++ {
		require.False(t, c.overDropped(now), "drop %d", i)
	}
	require.True(t, c.overDropped(now), "the 120th drop in a burst")

	c = newConn(s, nil, netip.Addr{})
	for i := range 1000 { // 9 drops per second: less than the 10/s the bucket drains
		require.False(t, c.overDropped(now.Add(time.Duration(i)*time.Second/9)), "drop %d", i)
	}
	c = newConn(s, nil, netip.Addr{})
	closed := false
	for i := range 1000 { // 50 drops per second: closed within 120/(50-10) = 3 s
		if c.overDropped(now.Add(time.Duration(i) * 20 * time.Millisecond)) {
			closed = true
			assert.InDelta(t, 150, i, 2)
			break
		}
	}
	assert.True(t, closed)
}

// When the lobby closes a connection whose input it has not read (1,000 pings in one write),
// the closing error line still arrives, followed by an orderly end of stream, not a reset:
// the client here reads only after the lobby has let go of the connection, as a slow client
// would, so a reset would have destroyed the lines waiting in its receive buffer.
func TestCloseWithUnreadInputKeepsErrorLine(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()
	var b bytes.Buffer
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&b, `{"type":"ping","id":%d}`+"\n", i)
	}
	_, err = nc.Write(b.Bytes())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(srv.allConns()) == 0 }, waitFor, 5*time.Millisecond,
		"the lobby did not close the connection")
	msgs, err := readAll(t, nc)
	require.ErrorIs(t, err, io.EOF, "the connection ended with %v after %d lines", err, len(msgs))
	require.NotEmpty(t, msgs)
	last := msgs[len(msgs)-1]
	assert.Equal(t, proto.CodeRateLimited, last.Code, "%+v", last)
	assert.Contains(t, last.Message, "closing")
	pongs := 0
	for _, m := range msgs {
		if m.Type == proto.TypePong {
			pongs++
		}
	}
	assert.Equal(t, 40, pongs, "the burst")
	assert.Len(t, msgs, 160, "the burst, then 120 drops")
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout())
}
