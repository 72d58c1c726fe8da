package netsim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/netcode"
)

// MaxDatagramSize is the largest payload a [Network] conn accepts, the
// largest UDP payload over IPv4.
const MaxDatagramSize = 65507

// DefaultQueueLen is the default number of datagrams a [Network] conn
// buffers for its reader before it drops new arrivals.
const DefaultQueueLen = 1024

// firstEphemeralPort is where a Network starts handing out ports for ":0".
const firstEphemeralPort = 49152

var (
	// ErrAddrInUse is returned by [Network.Listen] when the address is taken.
	ErrAddrInUse = errors.New("netsim: address already in use")
	// ErrTooLarge is returned by WriteTo on a [Network] conn for a datagram
	// larger than [MaxDatagramSize].
	ErrTooLarge = errors.New("netsim: datagram too large")
	// ErrNoPorts is returned by [Network.Listen] when every port is taken.
	ErrNoPorts = errors.New("netsim: no free port")
)

// NetworkConfig configures a [Network]. The zero value is the default.
type NetworkConfig struct {
	// QueueLen is how many datagrams each conn buffers for its reader;
	// arrivals beyond it are dropped and counted in [MemConn.Dropped].
	// Zero means DefaultQueueLen.
	QueueLen int
}

// Network is an in-memory datagram network: conns made by [Network.Listen]
// send to each other by address, with no sockets. Delivery is immediate and
// lossless apart from full receive queues; impair it with [Wrap].
//
// Blocking reads wait on channels, so a Network created inside a
// testing/synctest bubble lets the bubble's virtual clock advance while
// readers wait. A Network made inside a bubble must be used only there.
type Network struct {
	queueLen int

	mu       sync.Mutex
	conns    map[netip.AddrPort]*MemConn
	nextPort uint16
}

// NewNetwork returns an empty in-memory network. At most one config is used.
func NewNetwork(cfg ...NetworkConfig) *Network {
	var c NetworkConfig
	if len(cfg) > 0 {
		c = cfg[0]
	}
	if c.QueueLen <= 0 {
		c.QueueLen = DefaultQueueLen
	}
	return &Network{
		queueLen: c.QueueLen,
		conns:    make(map[netip.AddrPort]*MemConn),
		nextPort: firstEphemeralPort,
	}
}

// Listen returns a conn bound to addr ("ip:port"). Port 0 allocates a free
// port; an empty host, "localhost" or an unspecified IP mean the loopback
// address of that family. The returned conn is a [*MemConn].
func (n *Network) Listen(addr string) (net.PacketConn, error) {
	ap, err := parseListenAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("netsim: listen %q: %w", addr, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ap.Port() == 0 {
		found := false
		for range 1 << 16 {
			p := n.nextPort
			n.nextPort++
			if n.nextPort == 0 {
				n.nextPort = 1024
			}
			cand := netip.AddrPortFrom(ap.Addr(), p)
			if p != 0 && n.conns[cand] == nil {
				ap, found = cand, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("netsim: listen %q: %w", addr, ErrNoPorts)
		}
	} else if n.conns[ap] != nil {
		return nil, fmt.Errorf("netsim: listen %q: %w", addr, ErrAddrInUse)
	}
	c := &MemConn{
		net:    n,
		local:  ap,
		laddr:  net.UDPAddrFromAddrPort(ap),
		queue:  make(chan memPacket, n.queueLen),
		closed: make(chan struct{}),
		rd:     new(netcode.Deadline),
		wd:     new(netcode.Deadline),
	}
	n.conns[ap] = c
	return c, nil
}

func (n *Network) lookup(ap netip.AddrPort) *MemConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conns[ap]
}

func (n *Network) remove(c *MemConn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[c.local] == c {
		delete(n.conns, c.local)
	}
}

func parseListenAddr(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", port)
	}
	var ip netip.Addr
	switch host {
	case "", "localhost":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			return netip.AddrPort{}, err
		}
		ip = ip.Unmap()
		if ip.IsUnspecified() {
			if ip.Is4() {
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			} else {
				ip = netip.IPv6Loopback()
			}
		}
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

func addrPortOf(a net.Addr) (netip.AddrPort, error) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case nil:
		return netip.AddrPort{}, errors.New("nil address")
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.AddrPort{}, err
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
}

type memPacket struct {
	data []byte
	from *net.UDPAddr
}

// MemConn is a conn on a [Network]. It implements net.PacketConn; ReadFrom
// returns *net.UDPAddr addresses. Writes never block: a datagram to an
// address nobody listens on is discarded, as UDP would, and one that finds
// the receiver's queue full is dropped and counted on the receiver.
type MemConn struct {
	net   *Network
	local netip.AddrPort
	laddr *net.UDPAddr

	queue     chan memPacket
	closed    chan struct{}
	closeOnce sync.Once
	rd, wd    *netcode.Deadline
	dropped   atomic.Uint64
}

// ReadFrom implements net.PacketConn. A datagram longer than b is truncated.
func (c *MemConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case <-c.closed:
		return 0, nil, opError("read", c.laddr, nil, net.ErrClosed)
	default:
	}
	select {
	case p := <-c.queue:
		return copy(b, p.data), p.from, nil
	case <-c.closed:
		return 0, nil, opError("read", c.laddr, nil, net.ErrClosed)
	case <-c.rd.Wait():
		return 0, nil, opError("read", c.laddr, nil, errTimeout)
	}
}

// WriteTo implements net.PacketConn. It copies b.
func (c *MemConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, opError("write", c.laddr, addr, net.ErrClosed)
	default:
	}
	if c.wd.Exceeded() {
		return 0, opError("write", c.laddr, addr, errTimeout)
	}
	if len(b) > MaxDatagramSize {
		return 0, opError("write", c.laddr, addr, ErrTooLarge)
	}
	ap, err := addrPortOf(addr)
	if err != nil {
		return 0, opError("write", c.laddr, addr, err)
	}
	dst := c.net.lookup(ap)
	if dst == nil {
		return len(b), nil
	}
	p := memPacket{data: append([]byte(nil), b...), from: net.UDPAddrFromAddrPort(c.local)}
	select {
	case <-dst.closed:
	case dst.queue <- p:
	default:
		dst.dropped.Add(1)
	}
	return len(b), nil
}

// Dropped reports how many datagrams arrived while this conn's receive
// queue was full and were discarded.
func (c *MemConn) Dropped() uint64 { return c.dropped.Load() }

// Close unbinds the address and unblocks readers. It is safe to call twice.
func (c *MemConn) Close() error {
	c.closeOnce.Do(func() {
		c.net.remove(c)
		close(c.closed)
		c.rd.Stop()
		c.wd.Stop()
	})
	return nil
}

// LocalAddr returns the bound address as a *net.UDPAddr.
func (c *MemConn) LocalAddr() net.Addr { return c.laddr }

// SetDeadline sets the read and write deadlines.
func (c *MemConn) SetDeadline(t time.Time) error {
	c.rd.Set(t)
	c.wd.Set(t)
	return nil
}

// SetReadDeadline implements net.PacketConn.
func (c *MemConn) SetReadDeadline(t time.Time) error { c.rd.Set(t); return nil }

// SetWriteDeadline implements net.PacketConn. Writes never block, so a
// write deadline only makes writes after it fail with a timeout.
func (c *MemConn) SetWriteDeadline(t time.Time) error { c.wd.Set(t); return nil }

var _ net.PacketConn = (*MemConn)(nil)
