package netcode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ProtocolVersion is the version of the packet format below. It is the first
// byte of every packet and is bumped on every wire-incompatible change.
const ProtocolVersion = 1

// PacketHeaderLen is the encoded size of a [PacketHeader] in bytes.
const PacketHeaderLen = 9

// ErrUnsupportedVersion reports a packet whose first byte is not
// [ProtocolVersion].
var ErrUnsupportedVersion = errors.New("netcode: unsupported protocol version")

// AckBitsLen is how many packets before Ack one header can acknowledge.
const AckBitsLen = 32

// PacketHeader starts every packet an [Endpoint] sends. Byte layout, all
// multi-byte fields big-endian (9 bytes):
//
//	 0         1         2         3         4         5 ... 8
//	+---------+---------+---------+---------+---------+-------------+
//	| version |     sequence      |        ack        |  ack bits   |
//	+---------+---------+---------+---------+---------+-------------+
//	  uint8       uint16              uint16            uint32
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

// Len returns the encoded length, [PacketHeaderLen].
func (h PacketHeader) Len() int { return PacketHeaderLen }

// Append appends the encoded header to b.
func (h PacketHeader) Append(b []byte) []byte {
	b = append(b, ProtocolVersion)
	b = binary.BigEndian.AppendUint16(b, h.Sequence)
	b = binary.BigEndian.AppendUint16(b, h.Ack)
	return binary.BigEndian.AppendUint32(b, h.AckBits)
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
// the number of bytes read.
func ParsePacketHeader(b []byte) (PacketHeader, int, error) {
	if len(b) < PacketHeaderLen {
		return PacketHeader{}, 0, io.ErrUnexpectedEOF
	}
	if b[0] != ProtocolVersion {
		return PacketHeader{}, 0, fmt.Errorf("packet header: version %d: %w", b[0], ErrUnsupportedVersion)
	}
	return PacketHeader{
		Sequence: binary.BigEndian.Uint16(b[1:]),
		Ack:      binary.BigEndian.Uint16(b[3:]),
		AckBits:  binary.BigEndian.Uint32(b[5:]),
	}, PacketHeaderLen, nil
}
