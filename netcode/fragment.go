package netcode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxFragments bounds how many fragments one message may be split into.
const MaxFragments = 256

// ErrMalformed reports a packet whose payload breaks the format or its
// limits. [Endpoint.Receive] wraps it; the caller drops the packet.
var ErrMalformed = errors.New("netcode: malformed packet")

// Chunk kinds. A packet's payload (after the [PacketHeader]) is a sequence
// of chunks, each starting with its kind byte:
//
//	0x01 reliable message       id uint16 | len varint | data
//	0x02 reliable fragment      id uint16 | index varint | count varint | len varint | data
//	0x03 unreliable message     seq uint16 | len varint | data
//	0x04 unreliable fragment    seq uint16 | index varint | count varint | fragsize varint | len varint | data
//
// Varints are QUIC-style ([AppendVarint]); uint16 fields are big-endian.
const (
	chunkReliable       = 0x01
	chunkReliableFrag   = 0x02
	chunkUnreliable     = 0x03
	chunkUnreliableFrag = 0x04
)

// maxChunkOverhead is the largest chunk header: kind, id, index and count
// (<= 256, two varint bytes each), fragsize and len (< 2^30, four bytes each).
const maxChunkOverhead = 1 + 2 + 2 + 2 + 4 + 4

// chunk is one decoded payload element; data aliases the packet.
type chunk struct {
	kind     byte
	id       uint16 // reliable id or unreliable sequence
	index    int
	count    int
	fragSize int
	data     []byte
}

func (c *chunk) fragmented() bool {
	return c.kind == chunkReliableFrag || c.kind == chunkUnreliableFrag
}

func (c *chunk) len() int {
	n := 1 + 2 + VarintLen(uint64(len(c.data))) + len(c.data)
	if c.fragmented() {
		n += VarintLen(uint64(c.index)) + VarintLen(uint64(c.count))
	}
	if c.kind == chunkUnreliableFrag {
		n += VarintLen(uint64(c.fragSize))
	}
	return n
}

func (c *chunk) append(b []byte) []byte {
	b = append(b, c.kind)
	b = binary.BigEndian.AppendUint16(b, c.id)
	if c.fragmented() {
		b = AppendVarint(b, uint64(c.index))
		b = AppendVarint(b, uint64(c.count))
	}
	if c.kind == chunkUnreliableFrag {
		b = AppendVarint(b, uint64(c.fragSize))
	}
	b = AppendVarint(b, uint64(len(c.data)))
	return append(b, c.data...)
}

// parseChunk decodes one chunk from the start of b. It checks the fragment
// fields against MaxFragments but not against an endpoint's message limit.
func parseChunk(b []byte) (chunk, int, error) {
	var c chunk
	if len(b) < 3 {
		return c, 0, io.ErrUnexpectedEOF
	}
	c.kind = b[0]
	if c.kind < chunkReliable || c.kind > chunkUnreliableFrag {
		return c, 0, fmt.Errorf("chunk kind %#x: %w", c.kind, ErrMalformed)
	}
	c.id = binary.BigEndian.Uint16(b[1:])
	n := 3
	field := func() (uint64, error) {
		v, m, err := ParseVarint(b[n:])
		n += m
		return v, err
	}
	if c.fragmented() {
		idx, err := field()
		if err != nil {
			return c, 0, err
		}
		cnt, err := field()
		if err != nil {
			return c, 0, err
		}
		if cnt < 2 || cnt > MaxFragments || idx >= cnt {
			return c, 0, fmt.Errorf("fragment %d of %d: %w", idx, cnt, ErrMalformed)
		}
		c.index, c.count = int(idx), int(cnt)
	}
	if c.kind == chunkUnreliableFrag {
		fs, err := field()
		if err != nil {
			return c, 0, err
		}
		if fs < 1 || fs > 1<<16 {
			return c, 0, fmt.Errorf("fragment size %d: %w", fs, ErrMalformed)
		}
		c.fragSize = int(fs)
	}
	l, err := field()
	if err != nil {
		return c, 0, err
	}
	if l > uint64(len(b)-n) {
		return c, 0, io.ErrUnexpectedEOF
	}
	if c.fragmented() && l == 0 {
		return c, 0, fmt.Errorf("empty fragment: %w", ErrMalformed)
	}
	c.data = b[n : n+int(l) : n+int(l)]
	return c, n + int(l), nil
}

// reassembler rebuilds unreliable messages sent as fragments. It holds at
// most len(slots) partial messages, each in a buffer of maxMessage bytes
// allocated on first use and reused, so its memory is bounded by
// len(slots)*maxMessage no matter what arrives. A partial message is
// evicted when a newer message completes, when a newer one needs its slot,
// or when it is older than timeout.
type reassembler struct {
	maxMessage int
	timeout    time.Duration
	slots      []partialMessage
	evicted    uint64
}

type partialMessage struct {
	used     bool
	seq      uint16
	count    int
	fragSize int
	received int
	size     int // total length, known once the last fragment arrived
	have     [MaxFragments / 64]uint64
	started  time.Time
	buf      []byte
}

const defaultReassemblySlots = 4

func newReassembler(maxMessage, slots int, timeout time.Duration) reassembler {
	return reassembler{maxMessage: maxMessage, timeout: timeout, slots: make([]partialMessage, slots)}
}

// add stores one fragment. When it completes its message it returns the
// message, which aliases an internal buffer valid until the next call.
func (r *reassembler) add(now time.Time, c *chunk) ([]byte, error) {
	if c.count < 2 || c.count > MaxFragments || c.index < 0 || c.index >= c.count || c.fragSize < 1 {
		return nil, fmt.Errorf("fragment %d of %d: %w", c.index, c.count, ErrMalformed)
	}
	if (c.count-1)*c.fragSize+1 > r.maxMessage {
		return nil, fmt.Errorf("fragmented message of %d×%d bytes over limit %d: %w",
			c.count, c.fragSize, r.maxMessage, ErrMalformed)
	}
	last := c.index == c.count-1
	if (!last && len(c.data) != c.fragSize) || (last && (len(c.data) < 1 || len(c.data) > c.fragSize)) {
		return nil, fmt.Errorf("fragment %d of %d has %d bytes, size %d: %w",
			c.index, c.count, len(c.data), c.fragSize, ErrMalformed)
	}
	r.expire(now)
	p := r.slot(now, c)
	if p == nil {
		return nil, nil // older than everything in progress: drop
	}
	if p.count != c.count || p.fragSize != c.fragSize {
		return nil, fmt.Errorf("fragment %d of message %d disagrees on count or size: %w", c.index, c.id, ErrMalformed)
	}
	word, bit := c.index/64, uint(c.index%64)
	if p.have[word]&(1<<bit) != 0 {
		return nil, nil // duplicate
	}
	p.have[word] |= 1 << bit
	p.received++
	copy(p.buf[c.index*c.fragSize:], c.data)
	if last {
		p.size = c.index*c.fragSize + len(c.data)
	}
	if p.received < p.count {
		return nil, nil
	}
	p.used = false
	return p.buf[:p.size:p.size], nil
}

// slot finds or claims the slot for c.id; nil if c.id should be dropped.
func (r *reassembler) slot(now time.Time, c *chunk) *partialMessage {
	var free, oldest *partialMessage
	for i := range r.slots {
		p := &r.slots[i]
		if !p.used {
			if free == nil {
				free = p
			}
			continue
		}
		if p.seq == c.id {
			return p
		}
		if oldest == nil || SequenceLessThan(p.seq, oldest.seq) {
			oldest = p
		}
	}
	if free == nil {
		if !SequenceGreaterThan(c.id, oldest.seq) {
			return nil
		}
		oldest.used = false
		r.evicted++
		free = oldest
	}
	if free.buf == nil {
		free.buf = make([]byte, r.maxMessage) // bounded by our own limit, not the input
	}
	*free = partialMessage{used: true, seq: c.id, count: c.count, fragSize: c.fragSize, started: now, buf: free.buf}
	return free
}

// evictOlder drops partial messages older than seq (a newer one completed).
func (r *reassembler) evictOlder(seq uint16) {
	for i := range r.slots {
		if p := &r.slots[i]; p.used && !SequenceGreaterThan(p.seq, seq) {
			p.used = false
			r.evicted++
		}
	}
}

// expire drops partial messages started more than timeout before now.
func (r *reassembler) expire(now time.Time) {
	for i := range r.slots {
		if p := &r.slots[i]; p.used && now.Sub(p.started) > r.timeout {
			p.used = false
			r.evicted++
		}
	}
}

func (r *reassembler) pending() int {
	n := 0
	for i := range r.slots {
		if r.slots[i].used {
			n++
		}
	}
	return n
}
