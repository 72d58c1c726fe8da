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
	// maxBufferedInputs is the hard cap of the jitter buffer: when more inputs than this wait
	// to be applied (a burst after a stall, a client clock running fast), the oldest are
	// dropped down to half of it, so a player's input latency stays bounded (~270 ms at 60 Hz)
	// even before the gentle shrinking below catches up.
	maxBufferedInputs = 16
	// latenessWindow is how many first arrivals the jitter estimate remembers (about 4 s of
	// inputs at 60 Hz): enough to see the rare late ones (a loss recovered by the next packet,
	// a jitter peak) that the buffer must cover for 99 % delivery.
	latenessWindow = 256
	// shrinkAfter is how many ticks in a row the buffer's delay must stay above its target
	// before one input is dropped to shorten it. One input at a time, at most once per
	// shrinkAfter, so a shrink is invisible and never overshoots into repeats.
	shrinkAfter = 60
	// targetEvery is how often (ticks) the target delay is recomputed from the window.
	targetEvery = 16
)

type inputSlot struct {
	seq  uint16
	ok   bool
	n    uint8
	data [wire.MaxInputBytes]byte
}

// inputBuffer orders one client's inputs by sequence and hands out one per tick. It is owned
// by the match loop.
//
// Rules: the first input received sets the sequence applied next. Each tick applies that
// sequence if it has arrived. If it has not and nothing newer has arrived either, the client's
// stream is late (jitter): the last input repeats and the buffer waits, so its delay grows by
// one tick to cover the jitter. If something newer has arrived, the missing input is gone for
// good (every input message repeats all unacknowledged inputs, so a newer message without it
// means it fell out of the redundancy window): the last input repeats and the sequence is
// skipped.
//
// Delay: the buffer's delay is how many ticks after its arrival reference an input is
// applied (tick − sequence). Every first arrival records its lateness (arrival tick −
// sequence); the target delay is the second-latest lateness of the last latenessWindow
// inputs, a ~99.5th percentile that covers the measured jitter, the packetisation of inputs
// sent several per packet and a loss recovered by the next packet. When the delay has stayed
// above the target for shrinkAfter ticks, one input is dropped (the delay shrinks by one tick);
// a late input grows it again. So the delay follows the link instead of ratcheting up on every
// late input and collapsing at a hard cap.
type inputBuffer struct {
	ring    [inputRingSize]inputSlot
	started bool
	next    uint16 // sequence to apply next
	newest  uint16 // newest sequence received
	applied bool   // an input has been applied; lastSeq is valid
	lastSeq uint16
	lastN   uint8
	last    [wire.MaxInputBytes]byte

	// Counters since the connection started (wire.Snapshot reports the first two).
	real     uint32 // ticks that applied a real input
	repeated uint32 // ticks after the first input that repeated the last one
	dropped  uint64 // inputs discarded to bound latency

	late   [latenessWindow]int16 // arrival lateness of recent first arrivals
	lateN  uint64                // arrivals recorded
	target int16                 // target delay, ticks; valid once lateN > 0
	above  int                   // consecutive ticks with the delay above target
	pops   uint64
}

// reset forgets everything, for a new connection to the seat.
func (b *inputBuffer) reset() { *b = inputBuffer{} }

// add stores one input received while the match is at tick. Stale and duplicate inputs are
// ignored.
func (b *inputBuffer) add(seq uint16, data []byte, tick uint32) {
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
		b.lateN = 0
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
	b.late[b.lateN%latenessWindow] = int16(uint16(tick) - seq)
	if b.lateN == 0 {
		b.target = b.late[0]
	}
	b.lateN++
}

// delay is the buffer's current delay at tick: the lateness an input must not exceed to be
// applied on time.
func (b *inputBuffer) delay(tick uint32) int16 { return int16(uint16(tick) - b.next) }

// updateTarget recomputes the target delay: the second-largest lateness in the window (the
// largest when only one arrival is known), ignoring one outlier.
func (b *inputBuffer) updateTarget() {
	n := min(b.lateN, latenessWindow)
	if n == 0 {
		return
	}
	first, second := int16(-1<<15), int16(-1<<15)
	for _, l := range b.late[:n] {
		if l > first {
			first, second = l, first
		} else if l > second {
			second = l
		}
	}
	if n < 2 {
		second = first
	}
	b.target = second
}

// pop returns the input for the tick the match is at. repeated reports that it repeats the
// last input because the next one has not arrived; before the first input ever arrives pop
// returns nil, true (and counts nothing).
func (b *inputBuffer) pop(tick uint32) (input []byte, repeated bool) {
	if !b.started {
		return nil, true
	}
	if !netcode.SequenceLessThan(b.newest, b.next) {
		if pending := int(b.newest-b.next) + 1; pending > maxBufferedInputs {
			skip := uint16(pending - maxBufferedInputs/2)
			for i := uint16(0); i < skip; i++ {
				b.ring[(b.next+i)%inputRingSize].ok = false
			}
			b.next += skip
			b.dropped += uint64(skip)
			b.above = 0
		}
	}
	if b.pops%targetEvery == 0 {
		b.updateTarget()
	}
	b.pops++
	if b.lateN > 0 && b.delay(tick) > b.target {
		b.above++
	} else {
		b.above = 0
	}
	if b.above >= shrinkAfter {
		// The inputs have been arriving earlier than needed for a while: drop the next one
		// (if it is here; a missing one is skipped the same) so the delay shrinks by a tick.
		b.above = 0
		if s := &b.ring[b.next%inputRingSize]; s.ok && s.seq == b.next {
			s.ok = false
			b.next++
			b.dropped++
		}
	}
	s := &b.ring[b.next%inputRingSize]
	if s.ok && s.seq == b.next {
		s.ok = false
		b.lastN = s.n
		copy(b.last[:], s.data[:s.n])
		b.applied, b.lastSeq = true, b.next
		b.next++
		b.real++
		return b.last[:b.lastN], false
	}
	if netcode.SequenceGreaterThan(b.newest, b.next) {
		b.next++ // lost beyond the redundancy window: skip it
	}
	b.repeated++
	return b.last[:b.lastN], true
}
