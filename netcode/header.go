package netcode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ProtocolVersion is the version of the packet format below, in the high
// nibble of every packet's first byte; it is bumped on every wire-incompatible
// change. Version 2 sends the ack bits in 0, 1, 2 or 4 bytes (a 5- to 9-byte
// header instead of always 9): on a link that loses nothing every header is 5
// bytes.
const ProtocolVersion = 2

// PacketHeaderLen is the largest encoded [PacketHeader], in bytes; [PacketHeader.Len]
// is the size of one.
const PacketHeaderLen = 9

// minPacketHeaderLen is the smallest encoded header.
const minPacketHeaderLen = 5

// ErrUnsupportedVersion reports a packet whose first byte does not carry
// [ProtocolVersion].
var ErrUnsupportedVersion = errors.New("netcode: unsupported protocol version")

// AckBitsLen is how many packets before Ack one header can acknowledge.
const AckBitsLen = 32

// Ack bits forms, the low two bits of byte 0.
const (
	ackBitsAll  = 0 // every one of the 32 bits set; no bytes follow
	ackBits8    = 1 // bits 8..31 clear; bits 0..7 follow in one byte
	ackBits16   = 2 // bits 16..31 clear; bits 0..15 follow, uint16
	ackBitsFull = 3 // all 32 bits follow, uint32
)

// PacketHeader starts every packet an [Endpoint] sends. Byte layout, all
// multi-byte fields big-endian (5 to 9 bytes):
//
//	 0                  1         2         3         4         5 ...
//	+------------------+---------+---------+---------+---------+---------------+
//	| version<<4 | form|     sequence      |        ack        | ack bits      |
//	+------------------+---------+---------+---------+---------+---------------+
//	  uint8                uint16              uint16            0, 1, 2 or 4 bytes
//
// The form (bits 0-1 of byte 0; bits 2-3 are zero) says how the ack bits are
// sent: 0 all 32 set, none follow (the steady state of a link that loses
// nothing); 1 only bits 0..7 can be set, one byte follows; 2 bits 0..15, two
// bytes; 3 all four bytes. The sender picks the shortest form that carries
// the bits exactly, so a header never acknowledges a packet that did not
// arrive.
//
// Sequence numbers this packet (it wraps at 65536). Ack is the newest
// sequence received from the peer, and bit i of AckBits (least significant
// first) says whether sequence Ack-1-i was received too, so one header
// acknowledges up to 33 packets and every packet is acknowledged by many
// headers in a row: an ack survives the loss of most of the packets that
// carry it.
type PacketHeader struct {
	Sequence uint16
	Ack      uint16
	AckBits  uint32
}

// form returns the ack bits form of h.
func (h PacketHeader) form() byte {
	switch {
	case h.AckBits == ^uint32(0):
		return ackBitsAll
	case h.AckBits <= 0xff:
		return ackBits8
	case h.AckBits <= 0xffff:
		return ackBits16
	}
	return ackBitsFull
}

// Len returns the encoded length, 5 to [PacketHeaderLen].
func (h PacketHeader) Len() int {
	return minPacketHeaderLen + [4]int{0, 1, 2, 4}[h.form()]
}

// Append appends the encoded header to b.
func (h PacketHeader) Append(b []byte) []byte {
	f := h.form()
	b = append(b, ProtocolVersion<<4|f)
	b = binary.BigEndian.AppendUint16(b, h.Sequence)
	b = binary.BigEndian.AppendUint16(b, h.Ack)
	switch f {
	case ackBits8:
		b = append(b, byte(h.AckBits))
	case ackBits16:
		b = binary.BigEndian.AppendUint16(b, uint16(h.AckBits))
	case ackBitsFull:
		b = binary.BigEndian.AppendUint32(b, h.AckBits)
	}
	return b
}

// Acks reports whether the header acknowledges seq.
func (h PacketHeader) Acks(seq uint16) bool {
	if seq == h.Ack {
		return true
	}
	d := h.Ack - 1 - seq
	return d < AckBitsLen && h.AckBits&(1<<d) != 0
}

// ParsePacketHeader decodes a header from the start of b and returns it with
// the number of bytes read. A form longer than the bits need is malformed, so
// every header has exactly one encoding.
func ParsePacketHeader(b []byte) (PacketHeader, int, error) {
	if len(b) < minPacketHeaderLen {
		return PacketHeader{}, 0, io.ErrUnexpectedEOF
	}
	if b[0]>>4 != ProtocolVersion || b[0]&0x0c != 0 {
		return PacketHeader{}, 0, fmt.Errorf("packet header: version/form byte %#x: %w", b[0], ErrUnsupportedVersion)
	}
	h := PacketHeader{
		Sequence: binary.BigEndian.Uint16(b[1:]),
		Ack:      binary.BigEndian.Uint16(b[3:]),
	}
	n := minPacketHeaderLen
	switch b[0] & 3 {
	case ackBitsAll:
		h.AckBits = ^uint32(0)
	case ackBits8:
		if len(b) < n+1 {
			return PacketHeader{}, 0, io.ErrUnexpectedEOF
		}
		h.AckBits, n = uint32(b[n]), n+1
	case ackBits16:
		if len(b) < n+2 {
			return PacketHeader{}, 0, io.ErrUnexpectedEOF
		}
		h.AckBits, n = uint32(binary.BigEndian.Uint16(b[n:])), n+2
	case ackBitsFull:
		if len(b) < n+4 {
			return PacketHeader{}, 0, io.ErrUnexpectedEOF
		}
		h.AckBits, n = binary.BigEndian.Uint32(b[n:]), n+4
	}
	if h.form() != b[0]&3 {
		return PacketHeader{}, 0, fmt.Errorf("packet header: ack bits %#x in form %d: %w", h.AckBits, b[0]&3, ErrMalformed)
	}
	return h, n, nil
}
