package gameserver

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of recvmmsg(2): the Go compiler pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// maxAddrCache bounds batchReader's table of source addresses; when full it starts over.
const maxAddrCache = 4096

// batchReader reads up to readBatch datagrams per recvmmsg into fixed buffers and hands them
// out one at a time. Its buffers are its own, so a read allocates nothing: ReadFromUDPAddrPort
// (what netcode/secure calls) returns the source as a value, and the *net.UDPAddr that
// ReadFrom returns comes from a bounded table, one per source address.
type batchReader struct {
	mu    sync.Mutex
	rc    syscall.RawConn
	read  func(fd uintptr) bool // r.recv, made once: a method value per read would allocate
	poll  func(fd uintptr) bool // r.recvPoll, likewise
	next  int                   // next datagram of the batch to hand out
	n     int                   // datagrams in the batch
	err   error                 // recvmmsg's error of the last read
	bufs  [readBatch][readBufBytes]byte
	names [readBatch]unix.RawSockaddrInet6
	iovs  [readBatch]unix.Iovec
	hdrs  [readBatch]mmsghdr
	addrs map[netip.AddrPort]*net.UDPAddr

	gate   *readGate
	polled bool // recvPoll's result: the non-blocking read found nothing
	more   bool // gated: the gate opened, or the last batch was full; read before waiting
}

func (r *batchReader) init(c *net.UDPConn, gate *readGate) {
	rc, err := c.SyscallConn()
	if err != nil {
		return // readFrom falls back to the socket's ReadFrom
	}
	r.rc = rc
	r.gate = gate
	r.read = r.recv
	r.poll = r.recvPoll
	r.addrs = make(map[netip.AddrPort]*net.UDPAddr)
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(readBufBytes)
		r.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.SetIovlen(1)
	}
}

// recv is the RawConn.Read callback: one non-blocking recvmmsg; false asks to wait for the
// socket to become readable.
func (r *batchReader) recv(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].hdr.Flags = 0
		r.hdrs[i].len = 0
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), readBatch, unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0:
		r.n, r.err = int(n), nil
	case unix.EAGAIN:
		return false
	case unix.EINTR:
		return false // the wait finds the socket readable again at once
	default:
		r.n, r.err = 0, os.NewSyscallError("recvmmsg", e)
	}
	return true
}

// recvPoll is recv that never waits: an empty socket sets r.polled instead.
func (r *batchReader) recvPoll(fd uintptr) bool {
	r.polled = false
	if !r.recv(fd) {
		r.n, r.err, r.polled = 0, nil, true
	}
	return true
}

func (r *batchReader) readFrom(c *net.UDPConn, p []byte) (int, net.Addr, error) {
	if r.rc == nil {
		return c.ReadFrom(p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ap, err := r.nextLocked(c, p)
	if err != nil || !ap.IsValid() {
		return n, nil, err
	}
	return n, r.udpAddr(ap), nil
}

func (r *batchReader) readFromAddrPort(c *net.UDPConn, p []byte) (int, netip.AddrPort, error) {
	if r.rc == nil {
		return c.ReadFromUDPAddrPort(p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nextLocked(c, p)
}

// nextLocked copies the next datagram of the batch into p, reading a batch when it is used
// up; the source is invalid for an address family other than IPv4 and IPv6. r.mu held.
func (r *batchReader) nextLocked(c *net.UDPConn, p []byte) (int, netip.AddrPort, error) {
	for r.next >= r.n {
		r.next, r.n = 0, 0
		if r.gate.closed() {
			return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Source: c.LocalAddr(), Err: net.ErrClosed}
		}
		if r.gate.on() {
			// Gated: wait for the loop to open the gate (unless the last batch was full and
			// more may be waiting), then take what the socket holds without waiting for more.
			if !r.more {
				// Wait without r.mu, so the loop can drain the socket itself meanwhile.
				r.mu.Unlock()
				r.gate.wait()
				r.mu.Lock()
				r.more = true
				continue // the gate may have been turned off or closed meanwhile
			}
			if err := r.rc.Read(r.poll); err != nil {
				return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Source: c.LocalAddr(), Err: err}
			}
			r.more = !r.polled && r.n == readBatch
		} else if err := r.rc.Read(r.read); err != nil {
			return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Source: c.LocalAddr(), Err: err}
		}
		if r.err != nil {
			return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Source: c.LocalAddr(), Err: r.err}
		}
	}
	i := r.next
	r.next++
	n := copy(p, r.bufs[i][:min(int(r.hdrs[i].len), readBufBytes)])
	return n, sockaddrAddrPort(&r.names[i]), nil
}

// maxDrainBatches bounds one drain: what is left (a flood beyond readBatch × this) waits in
// the socket for the next pass rather than delaying this one without end.
const maxDrainBatches = 16

// drain hands every datagram the socket holds to fn, on the calling goroutine, without
// waiting for more; it reports false, reading nothing, where it cannot (no raw conn, or the
// reader goroutine holds the batch: it is taking a datagram, and hands out the rest itself).
// b is valid only during fn.
func (r *batchReader) drain(fn func(b []byte, from netip.AddrPort)) bool {
	if r.rc == nil || !r.mu.TryLock() {
		return false
	}
	defer r.mu.Unlock()
	for i := range maxDrainBatches {
		for r.next < r.n {
			k := r.next
			r.next++
			fn(r.bufs[k][:min(int(r.hdrs[k].len), readBufBytes)], sockaddrAddrPort(&r.names[k]))
		}
		if i > 0 && r.n < readBatch {
			// The last recvmmsg emptied the socket: what arrived since waits for the next
			// pass, which saves a system call that would most often find nothing.
			r.next, r.n = 0, 0
			return true
		}
		r.next, r.n = 0, 0
		if r.gate.closed() || r.rc.Read(r.poll) != nil || r.err != nil || r.polled {
			r.n, r.err = 0, nil
			return true
		}
	}
	return true
}

// udpAddr returns ap as a *net.UDPAddr from the table, so a known source costs no allocation.
func (r *batchReader) udpAddr(ap netip.AddrPort) net.Addr {
	if a, ok := r.addrs[ap]; ok {
		return a
	}
	if len(r.addrs) >= maxAddrCache {
		clear(r.addrs)
	}
	a := net.UDPAddrFromAddrPort(ap)
	r.addrs[ap] = a
	return a
}

// sockaddrAddrPort decodes a recvmmsg source address; invalid for a family other than IPv4/IPv6.
func sockaddrAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(port[0])<<8|uint16(port[1]))
	case unix.AF_INET6:
		port := (*[2]byte)(unsafe.Pointer(&sa.Port))
		ip := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			// A link-local peer: its zone is the interface.
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				ip = ip.WithZone(ifi.Name)
			} else {
				ip = ip.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
			}
		}
		return netip.AddrPortFrom(ip, uint16(port[0])<<8|uint16(port[1]))
	}
	return netip.AddrPort{}
}
