package netcode

import "fmt"

// SequenceGreaterThan reports whether sequence a is newer than b, treating
// the 16-bit space as a circle: a is newer when it is ahead of b by less
// than half the space (Fiedler's sequence_greater_than). So 0 is newer than
// 65535, and 32767 is newer than 0 but 32768 is not. Two sequences exactly
// half the space apart are neither newer nor older than each other (Fiedler's
// C version breaks that tie by numeric order; we keep the relation
// antisymmetric).
func SequenceGreaterThan(a, b uint16) bool {
	return a != b && a-b < 1<<15
}

// SequenceLessThan reports whether sequence a is older than b; see
// [SequenceGreaterThan].
func SequenceLessThan(a, b uint16) bool {
	return SequenceGreaterThan(b, a)
}

// SequenceBuffer holds one entry per recent 16-bit sequence number in a ring
// of fixed size, as in Fiedler's reliable.io. It remembers which sequence
// owns each slot, so a lookup of a sequence that was overwritten or never
// inserted misses instead of returning a wrong entry. Inserting a sequence
// newer than any before clears the slots of the skipped sequences.
//
// The size should divide 65536 (a power of two) so slots stay contiguous
// across the wrap; [NewSequenceBuffer] rounds it up.
type SequenceBuffer[T any] struct {
	next    uint16 // one past the newest inserted sequence
	started bool
	seqs    []uint32 // owner of each slot, emptySlot when free
	entries []T
}

const emptySlot = ^uint32(0)

// NewSequenceBuffer returns a buffer for size sequences, rounded up to a
// power of two. It panics if size is not in 1..32768, since larger windows
// break wrap-aware comparisons.
func NewSequenceBuffer[T any](size int) *SequenceBuffer[T] {
	if size < 1 || size > 1<<15 {
		panic(fmt.Sprintf("netcode: sequence buffer size %d not in 1..32768", size))
	}
	n := 1
	for n < size {
		n <<= 1
	}
	b := &SequenceBuffer[T]{seqs: make([]uint32, n), entries: make([]T, n)}
	for i := range b.seqs {
		b.seqs[i] = emptySlot
	}
	return b
}

// Size returns the number of slots.
func (b *SequenceBuffer[T]) Size() int { return len(b.seqs) }

// Sequence returns one past the newest sequence inserted (0 before any).
func (b *SequenceBuffer[T]) Sequence() uint16 { return b.next }

func (b *SequenceBuffer[T]) index(seq uint16) int { return int(seq) & (len(b.seqs) - 1) }

// Insert claims the slot for seq, resets it to the zero value and returns
// it. It returns nil if seq is too old to fit (at least Size behind the
// newest).
func (b *SequenceBuffer[T]) Insert(seq uint16) *T {
	size := len(b.seqs)
	if b.started {
		if SequenceLessThan(seq, b.next) {
			if int(b.next-1-seq) >= size {
				return nil // older than the window
			}
		} else {
			// Newer than everything: free the skipped slots.
			gap := int(seq - b.next)
			if gap >= size {
				for i := range b.seqs {
					b.seqs[i] = emptySlot
				}
			} else {
				for s := b.next; s != seq; s++ {
					b.seqs[b.index(s)] = emptySlot
				}
			}
			b.next = seq + 1
		}
	} else {
		b.started = true
		b.next = seq + 1
	}
	i := b.index(seq)
	b.seqs[i] = uint32(seq)
	var zero T
	b.entries[i] = zero
	return &b.entries[i]
}

// Find returns the entry for seq, or nil if seq is not in the buffer.
func (b *SequenceBuffer[T]) Find(seq uint16) *T {
	i := b.index(seq)
	if b.seqs[i] != uint32(seq) {
		return nil
	}
	return &b.entries[i]
}

// Exists reports whether seq is in the buffer.
func (b *SequenceBuffer[T]) Exists(seq uint16) bool {
	return b.seqs[b.index(seq)] == uint32(seq)
}

// Remove frees the slot of seq if seq holds it.
func (b *SequenceBuffer[T]) Remove(seq uint16) {
	i := b.index(seq)
	if b.seqs[i] == uint32(seq) {
		b.seqs[i] = emptySlot
		var zero T
		b.entries[i] = zero
	}
}

// Reset empties the buffer and forgets the newest sequence.
func (b *SequenceBuffer[T]) Reset() {
	for i := range b.seqs {
		b.seqs[i] = emptySlot
	}
	b.next, b.started = 0, false
}
