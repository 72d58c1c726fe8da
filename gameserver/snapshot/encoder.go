package snapshot

// maxShared is how many distinct baselines an Encoder remembers per tick; clients beyond
// that are still encoded, just not shared.
const maxShared = 32

// Encoder encodes one tick's snapshot for many clients. A snapshot's bytes depend only on
// the baseline, not on the client, and clients that acknowledge at the same rate share a
// handful of baselines, so the Encoder encodes each distinct baseline once per tick and
// hands the same bytes to every client that uses it. It is not safe for concurrent use and
// allocates nothing once its buffer has grown to a tick's worth of encodings.
type Encoder struct {
	schema  *Schema
	cur     *Snapshot
	buf     []byte
	entries []sharedDelta
}

type sharedDelta struct {
	base       *Snapshot // nil for the full snapshot
	tick       uint32
	start, end int
}

// NewEncoder returns an Encoder for schema.
func NewEncoder(schema *Schema) *Encoder {
	return &Encoder{schema: schema, entries: make([]sharedDelta, 0, maxShared)}
}

// Reset starts a new tick: later Encode calls encode cur. Bytes returned before are invalid.
func (e *Encoder) Reset(cur *Snapshot) {
	e.cur = cur
	e.buf = e.buf[:0]
	e.entries = e.entries[:0]
}

// Encode returns the encoding of the current snapshot against baseline (nil for a full
// snapshot), as [Schema.AppendDelta] would. The bytes are shared with every other caller
// using the same baseline and are valid until the next Reset; copy them out (for example
// into a packet) before then. Baselines are told apart by pointer and tick.
func (e *Encoder) Encode(baseline *Snapshot) ([]byte, error) {
	for i := range e.entries {
		s := &e.entries[i]
		if s.base == baseline && (baseline == nil || s.tick == baseline.Tick) {
			return e.buf[s.start:s.end:s.end], nil
		}
	}
	start := len(e.buf)
	out, err := e.schema.AppendDelta(e.buf, baseline, e.cur)
	if err != nil {
		return nil, err
	}
	e.buf = out
	if len(e.entries) < maxShared {
		var tick uint32
		if baseline != nil {
			tick = baseline.Tick
		}
		e.entries = append(e.entries, sharedDelta{base: baseline, tick: tick, start: start, end: len(out)})
	}
	return e.buf[start:len(out):len(out)], nil
}
