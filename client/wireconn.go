package client

import (
	"net"
	"sync/atomic"
)

// WireCounter counts the datagrams and bytes of a socket, as they cross it: the client's
// "on the wire" figures (UDP payloads, headers of the secure layer and the channel included).
// It is safe for concurrent use.
type WireCounter struct {
	BytesIn, BytesOut     atomic.Uint64
	PacketsIn, PacketsOut atomic.Uint64
}

// CountingConn wraps conn so that every datagram read or written is counted in w.
func CountingConn(conn net.PacketConn, w *WireCounter) net.PacketConn {
	return &countingConn{PacketConn: conn, w: w}
}

type countingConn struct {
	net.PacketConn
	w *WireCounter
}

func (c *countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	if err == nil {
		c.w.BytesIn.Add(uint64(n))
		c.w.PacketsIn.Add(1)
	}
	return n, addr, err
}

func (c *countingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if err == nil {
		c.w.BytesOut.Add(uint64(n))
		c.w.PacketsOut.Add(1)
	}
	return n, err
}
