package replay

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"

	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// slotState is what a slot passes to Step until its next change.
type slotState struct {
	present  bool
	repeated bool
	data     []byte
}

func (s *slotState) equal(in *Input) bool {
	if in.Absent {
		return !s.present
	}
	return s.present && s.repeated == in.Repeated && bytes.Equal(s.data, in.Data)
}

func (s *slotState) set(in *Input) {
	s.present, s.repeated = !in.Absent, in.Repeated
	s.data = append(s.data[:0], in.Data...)
	if in.Absent {
		s.repeated = false
	}
}

// Encoder records a match in memory, in the body layout of the package documentation, and
// writes the file at the end. Its memory is the uncompressed body (a few bytes per changed
// input), bounded by MaxBodyBytes; recording past it fails with ErrTooLarge.
//
// Calls must come in tick order. The first error sticks: every later call returns it.
type Encoder struct {
	h       Header
	body    []byte
	tick    uint32 // tick of the last record
	inTick  int64  // tick of the last Inputs record; -1 none
	sumTick int64  // tick of the last Checksum record; -1 none
	slots   [MaxPlayers]slotState
	changes []Input
	ended   bool
	err     error
}

// NewEncoder starts recording the match h describes.
func NewEncoder(h Header) (*Encoder, error) {
	if err := checkHeader(&h); err != nil {
		return nil, err
	}
	e := &Encoder{h: h, inTick: -1, sumTick: -1}
	b := e.body
	b = appendString(b, h.Game)
	b = appendString(b, h.Mode)
	b = appendString(b, h.Map)
	b = append(b, h.MatchID[:]...)
	b = binary.LittleEndian.AppendUint64(b, h.Seed)
	b = binary.AppendVarint(b, h.Start.UnixMilli())
	b = binary.AppendUvarint(b, uint64(h.TickRate))
	b = binary.AppendUvarint(b, uint64(h.MaxPlayers))
	b = binary.AppendUvarint(b, uint64(h.ChecksumEvery))
	e.body = b
	return e, nil
}

func checkHeader(h *Header) error {
	switch {
	case len(h.Game) > MaxNameBytes || len(h.Mode) > MaxNameBytes || len(h.Map) > MaxNameBytes:
		return fmt.Errorf("%w: header name over %d bytes", ErrTooLarge, MaxNameBytes)
	case h.TickRate < 1 || h.TickRate > MaxTickRate:
		return fmt.Errorf("%w: tick rate %d (want 1..%d)", ErrCorrupt, h.TickRate, MaxTickRate)
	case h.MaxPlayers < 1 || h.MaxPlayers > MaxPlayers:
		return fmt.Errorf("%w: %d players (want 1..%d)", ErrCorrupt, h.MaxPlayers, MaxPlayers)
	case h.ChecksumEvery < 0 || h.ChecksumEvery > MaxTickRate*60:
		return fmt.Errorf("%w: checksum interval %d ticks", ErrCorrupt, h.ChecksumEvery)
	}
	return nil
}

// Header returns the header the encoder was made with.
func (e *Encoder) Header() Header { return e.h }

// Err returns the first error of any call, or nil.
func (e *Encoder) Err() error { return e.err }

// Len returns the uncompressed body's length so far.
func (e *Encoder) Len() int { return len(e.body) }

func (e *Encoder) fail(err error) error {
	if e.err == nil {
		e.err = err
	}
	return e.err
}

// begin starts a record of kind at tick.
func (e *Encoder) begin(k Kind, tick uint32) error {
	switch {
	case e.err != nil:
		return e.err
	case e.ended:
		return e.fail(ErrEnded)
	case tick < e.tick:
		return e.fail(fmt.Errorf("replay: %s record at tick %d after tick %d", k, tick, e.tick))
	case tick > MaxTicks:
		return e.fail(fmt.Errorf("%w: tick %d over %d", ErrTooLarge, tick, MaxTicks))
	case len(e.body) > MaxBodyBytes:
		return e.fail(fmt.Errorf("%w: body over %d bytes", ErrTooLarge, MaxBodyBytes))
	}
	e.body = append(e.body, byte(k))
	e.body = binary.AppendUvarint(e.body, uint64(tick-e.tick))
	e.tick = tick
	return nil
}

// Join records that p took a seat before the Step that leaves the world at tick+1.
func (e *Encoder) Join(tick uint32, p Player) error {
	if int(p.Slot) >= e.h.MaxPlayers || len(p.Name) > MaxNameBytes {
		return e.fail(fmt.Errorf("replay: join slot %d name %d bytes: out of range", p.Slot, len(p.Name)))
	}
	if err := e.begin(KindJoin, tick); err != nil {
		return err
	}
	e.body = append(e.body, p.Slot, p.Team)
	e.body = appendString(e.body, p.Name)
	return nil
}

// Leave records that the player in slot left before the Step that leaves the world at tick+1.
func (e *Encoder) Leave(tick uint32, slot uint8) error {
	if int(slot) >= e.h.MaxPlayers {
		return e.fail(fmt.Errorf("replay: leave slot %d out of range", slot))
	}
	if err := e.begin(KindLeave, tick); err != nil {
		return err
	}
	e.body = append(e.body, slot)
	return nil
}

// Tick records the inputs of the Step that takes the world from tick to tick+1: every slot
// that passes input, in ascending slot order (Absent is not used here; a slot missing from
// inputs is absent). Only the slots whose input changed since the last Tick are stored.
func (e *Encoder) Tick(tick uint32, inputs []Input) error {
	if e.err != nil {
		return e.err
	}
	e.changes = e.changes[:0]
	next := 0
	for i := range inputs {
		in := &inputs[i]
		if int(in.Slot) < next || int(in.Slot) >= e.h.MaxPlayers || in.Absent || len(in.Data) > MaxInputBytes {
			return e.fail(fmt.Errorf("replay: tick %d: input of slot %d out of order, out of range or over %d bytes",
				tick, in.Slot, MaxInputBytes))
		}
		for s := next; s < int(in.Slot); s++ {
			if e.slots[s].present {
				e.changes = append(e.changes, Input{Slot: uint8(s), Absent: true})
			}
		}
		if !e.slots[in.Slot].equal(in) {
			e.changes = append(e.changes, *in)
		}
		next = int(in.Slot) + 1
	}
	for s := next; s < e.h.MaxPlayers; s++ {
		if e.slots[s].present {
			e.changes = append(e.changes, Input{Slot: uint8(s), Absent: true})
		}
	}
	if len(e.changes) == 0 {
		return nil
	}
	return e.writeInputs(tick, e.changes)
}

// writeInputs writes an Inputs record of changes (ascending slots, each a real change).
func (e *Encoder) writeInputs(tick uint32, changes []Input) error {
	if int64(tick) <= e.inTick && e.inTick >= 0 {
		return e.fail(fmt.Errorf("replay: second inputs record at tick %d", tick))
	}
	if err := e.begin(KindInputs, tick); err != nil {
		return err
	}
	e.inTick = int64(tick)
	e.body = binary.AppendUvarint(e.body, uint64(len(changes)))
	for i := range changes {
		in := &changes[i]
		st := &e.slots[in.Slot]
		var flags byte
		switch {
		case in.Absent:
			flags = flagAbsent
		case in.Repeated:
			flags = flagRepeated
		}
		xor := !in.Absent && st.present && len(st.data) == len(in.Data) && len(in.Data) > 0
		if xor {
			flags |= flagXOR
		}
		e.body = append(e.body, in.Slot, flags)
		switch {
		case in.Absent:
		case xor:
			var mask uint64
			for j := range in.Data {
				if in.Data[j] != st.data[j] {
					mask |= 1 << j
				}
			}
			e.body = binary.AppendUvarint(e.body, mask)
			for j := range in.Data {
				if d := in.Data[j] ^ st.data[j]; d != 0 {
					e.body = append(e.body, d)
				}
			}
		default:
			e.body = binary.AppendUvarint(e.body, uint64(len(in.Data)))
			e.body = append(e.body, in.Data...)
		}
		st.set(in)
	}
	return nil
}

// Checksum records the world's checksum after tick Steps.
func (e *Encoder) Checksum(tick uint32, sum uint64) error {
	if e.sumTick >= 0 && int64(tick) <= e.sumTick {
		return e.fail(fmt.Errorf("replay: checksum at tick %d after one at %d", tick, e.sumTick))
	}
	if err := e.begin(KindChecksum, tick); err != nil {
		return err
	}
	e.sumTick = int64(tick)
	e.body = binary.LittleEndian.AppendUint64(e.body, sum)
	return nil
}

// End records that the match ended after tick Steps with res, and closes the body. Names
// and the reason longer than MaxNameBytes are cut.
func (e *Encoder) End(tick uint32, res wire.Result) error {
	if len(res.Scores) > MaxPlayers {
		return e.fail(fmt.Errorf("%w: %d scores", ErrTooLarge, len(res.Scores)))
	}
	for _, s := range res.Scores {
		for _, v := range [...]int{s.Score, s.Kills, s.Deaths} {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return e.fail(fmt.Errorf("%w: score %d outside 32 bits", ErrTooLarge, v))
			}
		}
	}
	if err := e.begin(KindEnd, tick); err != nil {
		return err
	}
	e.body = appendString(e.body, cut(res.Reason))
	e.body = binary.AppendUvarint(e.body, uint64(len(res.Scores)))
	for _, s := range res.Scores {
		var flags byte
		if s.Left {
			flags |= scoreLeft
		}
		e.body = append(e.body, s.Slot, s.Team, flags)
		e.body = appendString(e.body, cut(s.Name))
		e.body = binary.AppendVarint(e.body, int64(s.Score))
		e.body = binary.AppendVarint(e.body, int64(s.Kills))
		e.body = binary.AppendVarint(e.body, int64(s.Deaths))
	}
	e.body = binary.LittleEndian.AppendUint32(e.body, crc32.ChecksumIEEE(e.body))
	e.ended = true
	return nil
}

// Write appends one record as it is: the replay's own records, e.g. read from another file.
// Inputs records must list real changes in ascending slot order.
func (e *Encoder) Write(r Record) error {
	switch r.Kind {
	case KindJoin:
		return e.Join(r.Tick, r.Player)
	case KindLeave:
		return e.Leave(r.Tick, r.Player.Slot)
	case KindInputs:
		if len(r.Inputs) == 0 || len(r.Inputs) > e.h.MaxPlayers {
			return e.fail(fmt.Errorf("replay: inputs record of %d changes", len(r.Inputs)))
		}
		for i := range r.Inputs {
			in := &r.Inputs[i]
			if int(in.Slot) >= e.h.MaxPlayers || (i > 0 && in.Slot <= r.Inputs[i-1].Slot) ||
				len(in.Data) > MaxInputBytes || e.slots[in.Slot].equal(in) {
				return e.fail(fmt.Errorf("replay: tick %d: input of slot %d is no change, out of order or out of range",
					r.Tick, in.Slot))
			}
		}
		return e.writeInputs(r.Tick, r.Inputs)
	case KindChecksum:
		return e.Checksum(r.Tick, r.Checksum)
	case KindEnd:
		return e.End(r.Tick, r.Result)
	}
	return e.fail(fmt.Errorf("replay: record kind %d", r.Kind))
}

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression) // the level is valid: no error
	return w
}}

// WriteTo writes the file (magic, version, compressed body) to w. The match must have ended.
func (e *Encoder) WriteTo(w io.Writer) (int64, error) {
	if e.err != nil {
		return 0, e.err
	}
	if !e.ended {
		return 0, fmt.Errorf("replay: write before End")
	}
	cw := &countWriter{w: w}
	head := binary.LittleEndian.AppendUint16([]byte(Magic), Version)
	if _, err := cw.Write(head); err != nil {
		return cw.n, err
	}
	fw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(fw)
	fw.Reset(cw)
	if _, err := fw.Write(e.body); err != nil {
		return cw.n, err
	}
	err := fw.Close()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func cut(s string) string {
	if len(s) > MaxNameBytes {
		return s[:MaxNameBytes]
	}
	return s
}

// Encode writes a whole replay: a file equal in content to r.
func Encode(w io.Writer, r *Replay) error {
	e, err := NewEncoder(r.Header)
	if err != nil {
		return err
	}
	for _, rec := range r.Records {
		if err := e.Write(rec); err != nil {
			return err
		}
	}
	_, err = e.WriteTo(w)
	return err
}
