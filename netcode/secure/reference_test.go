package secure

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Connect tokens written by netcode_generate_connect_token of the netcode.io
// C reference (mas-bandwidth/netcode, commit 139beae), with private key
// 00 01 .. 1f, protocol id 0x1122334455667788 and user data 0, 1, .. 255.
const (
	refProtocolID    = 0x1122334455667788
	refCreate        = 1796559177 // both tokens' create timestamp
	refNeverExpires  = "never-expires.token"
	refTwoAddresses  = "two-addresses.token"
	refServerV4      = "127.0.0.1:40000"
	refServerV6      = "[::1]:40001"
	refTimeoutNone   = -1
	refTimeoutTwoAdr = 5
)

func refKey() Key {
	var k Key
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func refUserData() [UserDataBytes]byte {
	var u [UserDataBytes]byte
	for i := range u {
		u[i] = byte(i)
	}
	return u
}

func readRefToken(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.Len(t, b, ConnectTokenBytes)
	return b
}

// TestReferenceTokenFields reads every field the reference wrote, in the
// public part and in the private part opened with the reference's key.
func TestReferenceTokenFields(t *testing.T) {
	for _, tc := range []struct {
		file     string
		clientID uint64
		expire   uint64
		timeout  int32
		addrs    []netip.AddrPort
	}{
		{refNeverExpires, 42, NeverExpires, refTimeoutNone, []netip.AddrPort{netip.MustParseAddrPort(refServerV4)}},
		{refTwoAddresses, 43, refCreate + 30, refTimeoutTwoAdr, []netip.AddrPort{netip.MustParseAddrPort(refServerV4), netip.MustParseAddrPort(refServerV6)}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw := readRefToken(t, tc.file)
			assert.Equal(t, VersionInfo, string(raw[:versionInfoBytes]))
			tok, err := ParseConnectToken(raw)
			require.NoError(t, err)
			assert.Equal(t, uint64(refProtocolID), tok.ProtocolID)
			assert.Equal(t, uint64(refCreate), tok.CreateTimestamp)
			assert.Equal(t, tc.expire, tok.ExpireTimestamp)
			assert.Equal(t, tc.timeout, tok.TimeoutSeconds)
			assert.Equal(t, tc.addrs, tok.ServerAddrs)
			assert.NotEqual(t, Key{}, tok.ClientToServerKey)
			assert.NotEqual(t, Key{}, tok.ServerToClientKey)
			assert.NotEqual(t, tok.ClientToServerKey, tok.ServerToClientKey)
			assert.True(t, bytes.Equal(raw, tok.Append(nil)), "re-encoding gives the reference's bytes back")

			priv, err := OpenConnectToken(refKey(), tok.ProtocolID, tok.ExpireTimestamp, tok.Nonce[:], tok.PrivateData[:])
			require.NoError(t, err)
			assert.Equal(t, tc.clientID, priv.ClientID)
			assert.Equal(t, tc.timeout, priv.TimeoutSeconds)
			assert.Equal(t, tc.addrs, priv.ServerAddrs)
			assert.Equal(t, tok.ClientToServerKey, priv.ClientToServerKey)
			assert.Equal(t, tok.ServerToClientKey, priv.ServerToClientKey)
			assert.Equal(t, refUserData(), priv.UserData)

			_, err = OpenConnectToken(refKey(), tok.ProtocolID, tok.ExpireTimestamp-1, tok.Nonce[:], tok.PrivateData[:])
			assert.ErrorIs(t, err, ErrInvalidToken, "the expire timestamp is authenticated")
		})
	}
}

// refServer runs a Server with the reference key and protocol id at addr on
// n, its writes through a tapConn, and its clock at refCreate plus the
// bubble's elapsed (virtual) time.
type refServer struct {
	srv         *Server
	tap         *tapConn
	serveErr    chan error
	connects    chan ClientInfo
	disconnects chan error
	payloads    chan string
}

func startRefServer(t *testing.T, n *netsim.Network, addr string) *refServer {
	t.Helper()
	conn, err := n.Listen(addr)
	require.NoError(t, err)
	rs := &refServer{tap: &tapConn{PacketConn: conn}, serveErr: make(chan error, 1),
		connects: make(chan ClientInfo, 4), disconnects: make(chan error, 4), payloads: make(chan string, 16)}
	start := time.Now()
	rs.srv, err = NewServer(rs.tap, ServerConfig{
		ProtocolID:   refProtocolID,
		PrivateKey:   refKey(),
		Now:          func() time.Time { return time.Unix(refCreate, 0).Add(time.Since(start)) },
		OnConnect:    func(c ClientInfo) { rs.connects <- c },
		OnDisconnect: func(_ ClientInfo, reason error) { rs.disconnects <- reason },
		OnPayload:    func(_ ClientInfo, p []byte) { rs.payloads <- string(p) },
	})
	require.NoError(t, err)
	go func() { rs.serveErr <- rs.srv.Serve() }()
	return rs
}

// refClientConn is a client conn on n with 80 ms of latency each way, so a
// handshake spans several of the client's 10 Hz ticks (a round trip is
// 160 ms), as it does across the Internet.
func refClientConn(t *testing.T, n *netsim.Network, v6 bool) net.PacketConn {
	t.Helper()
	addr := "127.0.0.1:0"
	if v6 {
		addr = "[::1]:0"
	}
	conn, err := n.Listen(addr)
	require.NoError(t, err)
	slow := netsim.Impairment{Latency: 80 * time.Millisecond}
	return netsim.Wrap(conn, netsim.Config{Send: slow, Recv: slow, Seed: 1})
}

// clockAfterRefExpiry is a client clock an hour past the two-address
// token's expiry (as the real clock was when these tests were written),
// running at the bubble's pace.
func clockAfterRefExpiry() func() time.Time {
	start := time.Now()
	return func() time.Time { return time.Unix(refCreate+30+3600, 0).Add(time.Since(start)) }
}

func (rs *refServer) stop(t *testing.T) {
	require.NoError(t, rs.srv.Close())
	require.ErrorIs(t, <-rs.serveErr, ErrServerClosed)
}

// TestReferenceTokensDial: our client accepts both reference tokens and
// connects with them over a link slow enough that the handshake spans
// several ticks; with two addresses it walks from the silent IPv4 one to the
// IPv6 one. The client's clock says both tokens expired an hour ago: that is
// the server's to judge, and the server's clock is within the tokens' life.
func TestReferenceTokensDial(t *testing.T) {
	for _, tc := range []struct {
		file, serverAt string
		took           time.Duration // the silent first address costs the token's timeout
	}{
		{refNeverExpires, refServerV4, 0},
		{refTwoAddresses, refServerV6, refTimeoutTwoAdr * time.Second},
	} {
		t.Run(tc.file, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := netsim.NewNetwork()
				rs := startRefServer(t, n, tc.serverAt)
				defer rs.stop(t)
				conn := refClientConn(t, n, tc.serverAt == refServerV6)
				start := time.Now()
				c, err := Dial(context.Background(), conn, readRefToken(t, tc.file), ClientConfig{Now: clockAfterRefExpiry()})
				require.NoError(t, err)
				defer c.Close()
				const handshake = 4 * 80 * time.Millisecond // request, challenge, response, keep-alive
				assert.InDelta(t, tc.took+handshake, time.Since(start), float64(sendInterval))
				assert.Equal(t, netip.MustParseAddrPort(tc.serverAt), c.ServerAddr())
				info := waitFor(t, rs.connects, time.Second, "connect")
				assert.Equal(t, refUserData(), info.UserData)
				require.NoError(t, c.Send([]byte("hello")))
				assert.Equal(t, "hello", waitFor(t, rs.payloads, time.Second, "payload"))
			})
		})
	}
}

// TestReferenceNeverExpiresStaysConnected: with the reference's never-expires
// token (timeout -1) neither end times the connection out, even after a
// minute in which not one packet got through either way; then traffic flows
// again on the same connection.
func TestReferenceNeverExpiresStaysConnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		rs := startRefServer(t, n, refServerV4)
		defer rs.stop(t)
		ctap := &tapConn{PacketConn: refClientConn(t, n, false)}
		c, err := Dial(context.Background(), ctap, readRefToken(t, refNeverExpires), ClientConfig{})
		require.NoError(t, err)
		defer c.Close()
		info := waitFor(t, rs.connects, time.Second, "connect")
		assert.Equal(t, uint64(42), info.ID)

		ctap.blocked.Store(true)
		rs.tap.blocked.Store(true)
		time.Sleep(time.Minute) // twelve times the default 5 s timeout
		synctest.Wait()
		assert.Equal(t, StateConnected, c.State())
		assert.NoError(t, c.Err())
		assert.Equal(t, 1, rs.srv.NumClients())
		assert.Zero(t, rs.srv.Stats().TimedOut)
		assert.Empty(t, rs.disconnects)

		ctap.blocked.Store(false)
		rs.tap.blocked.Store(false)
		require.NoError(t, c.Send([]byte("still here")))
		assert.Equal(t, "still here", waitFor(t, rs.payloads, time.Second, "payload"))
		require.NoError(t, rs.srv.Send(info.Index, []byte("so am I")))
		assert.Equal(t, "so am I", string(waitFor(t, c.Payloads(), time.Second, "payload")))
	})
}

// TestReferenceNeverExpiresHalfOpenSurvives: the server keeps the half-open
// handshake of a never-expires token across its ticks (expire 2^64-1 is not
// a time in the past), so a response that comes seconds after the challenge
// still connects.
func TestReferenceNeverExpiresHalfOpenSurvives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		rs := startRefServer(t, n, refServerV4)
		defer rs.stop(t)
		rc := newRawClient(t, n, netip.MustParseAddrPort(refServerV4), readRefToken(t, refNeverExpires))
		defer rc.conn.Close()
		rc.request()
		body, _ := rc.readType(packetChallenge)
		require.NotNil(t, body, "challenge")
		time.Sleep(30 * time.Second) // 300 ticks of the server
		var ch [challengeTokenBytes]byte
		copy(ch[:], body[8:])
		rc.write(rc.send.appendChallengeLike(nil, packetResponse, rc.seq, binary.LittleEndian.Uint64(body), &ch))
		ka, _ := rc.readType(packetKeepAlive)
		require.NotNil(t, ka, "keep-alive: the mapping was still there (stats %+v)", rs.srv.Stats())
		assert.Equal(t, uint64(42), waitFor(t, rs.connects, time.Second, "connect").ID)
	})
}
