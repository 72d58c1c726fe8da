package netsim

import (
	"net"
	"os"
)

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// opError wraps err the way the net package does, so callers can use
// errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded) and
// net.Error's Timeout.
func opError(op string, local, remote net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: local, Addr: remote, Err: err}
}

var errTimeout = os.ErrDeadlineExceeded
