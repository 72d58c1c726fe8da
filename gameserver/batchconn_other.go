//go:build !linux

package gameserver

import (
	"net"
	"net/netip"
)

// batchReader is the socket's own ReadFrom where recvmmsg is not available.
type batchReader struct{}

func (r *batchReader) init(*net.UDPConn, *readGate) {}

func (r *batchReader) readFrom(c *net.UDPConn, p []byte) (int, net.Addr, error) {
	return c.ReadFrom(p)
}

func (r *batchReader) readFromAddrPort(c *net.UDPConn, p []byte) (int, netip.AddrPort, error) {
	return c.ReadFromUDPAddrPort(p)
}

// drain is not available: the reader goroutine takes every datagram.
func (r *batchReader) drain(func(b []byte, from netip.AddrPort)) bool { return false }
