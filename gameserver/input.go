package gameserver

import (
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// Input buffer sizing, in ticks (one input per tick).
const (
	// inputRingSize holds inputs received ahead of the one applied next. Power of two, larger
	// than maxBufferedInputs plus one redundant message.
	inputRingSize = 64
	// maxBufferedInputs caps the jitter buffer: when more inputs than this wait to be applied
	// (the client's clock runs ahead, or a burst arrived after a stall), the oldest are dropped
	// down to targetBufferedInputs so the player's input latency stays bounded (~100 ms at 60 Hz).
	maxBufferedInputs    = 6
	targetBufferedInputs = 2
)

type inputSlot struct {
	seq  uint16
	ok   bool
	n    uint8
	data [wire.MaxInputBytes]byte
}

// inputBuffer orders one client's inputs by sequence and hands out one per tick. It is owned
// by the match goroutine.
//
// Rules: the first input received sets the sequence applied next. Each tick applies that
// sequence if it has arrived. If it has not and nothing newer has arrived either, the client's
// stream is late (jitter): the last input repeats and the buffer waits, so it grows to cover
// the jitter. If something newer has arrived, the missing input is gone for good (every input
// message repeats all unacknowledged inputs, so a newer message without it means it fell out
// of the redundancy window): the last input repeats and the sequence is skipped.
type inputBuffer struct {
	ring    [inputRingSize]inputSlot
	started bool
	next    uint16 // sequence to apply next
	newest  uint16 // newest sequence received
	applied bool   // an input has been applied; lastSeq is valid
	lastSeq uint16
	lastN   uint8
	last    [wire.MaxInputBytes]byte
	dropped uint64 // inputs discarded to bound latency
}

// reset forgets everything, for a new connection to the seat.
func (b *inputBuffer) reset() { *b = inputBuffer{} }

// add stores one received input. Stale and duplicate inputs are ignored.
func (b *inputBuffer) add(seq uint16, data []byte) {
	if len(data) > wire.MaxInputBytes {
		return
	}
	if !b.started {
		b.started, b.next, b.newest = true, seq, seq
	}
	if netcode.SequenceLessThan(seq, b.next) {
		return // already applied or skipped
	}
	if seq-b.next >= inputRingSize {
		// The client jumped far ahead (or its sequence restarted): resynchronise on it.
		for i := range b.ring {
			b.ring[i].ok = false
		}
		b.next, b.newest = seq, seq
	}
	s := &b.ring[seq%inputRingSize]
	if s.ok && s.seq == seq {
		return
	}
	s.seq, s.ok, s.n = seq, true, uint8(len(data))
	copy(s.data[:], data)
	if netcode.SequenceGreaterThan(seq, b.newest) {
		b.newest = seq
	}
}

// pop returns the input for this tick. repeated reports that it repeats the last input because
// the next one has not arrived; before the first input ever arrives pop returns nil, true.
func (b *inputBuffer) pop() (input []byte, repeated bool) {
	if !b.started {
		return nil, true
	}
	if !netcode.SequenceLessThan(b.newest, b.next) {
		if pending := int(b.newest-b.next) + 1; pending > maxBufferedInputs {
			skip := uint16(pending - targetBufferedInputs)
			for i := uint16(0); i < skip; i++ {
				b.ring[(b.next+i)%inputRingSize].ok = false
			}
			b.next += skip
			b.dropped += uint64(skip)
		}
	}
	s := &b.ring[b.next%inputRingSize]
	if s.ok && s.seq == b.next {
		s.ok = false
		b.lastN = s.n
		copy(b.last[:], s.data[:s.n])
		b.applied, b.lastSeq = true, b.next
		b.next++
		return b.last[:b.lastN], false
	}
	if netcode.SequenceGreaterThan(b.newest, b.next) {
		b.next++ // lost beyond the redundancy window: skip it
	}
	return b.last[:b.lastN], true
}
