package kcp

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/nettest"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

func TestConnNettest(t *testing.T) {
	checkGoroutines(t)
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		srv := startServer(t, netsim.Config{}, ServerConfig{})
		tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
		cs, err := dialTest(t, udp(t, netsim.Config{}), tok, ClientConfig{})
		if err != nil {
			return nil, nil, nil, err
		}
		ss := acceptOne(t, srv.l)
		return cs.Conn(), ss.Conn(), func() {
			cs.Close()
			ss.Close()
			srv.l.Close()
		}, nil
	})
}
