package replay

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Reader reads a replay file as a stream of records. Its memory is bounded by one record
// (at most MaxPlayers inputs of MaxInputBytes) whatever the file says; every length is
// checked against its limit before it is read.
type Reader struct {
	src     *bufio.Reader // the file
	body    io.ReadCloser // the decompressed body
	crc     hash.Hash32
	buf     [8]byte
	h       Header
	tick    uint32
	inTick  int64
	sumTick int64
	slots   [MaxPlayers]slotState
	inputs  []Input
	done    bool
	err     error
}

// NewReader reads the magic, version and header of the replay in r.
func NewReader(r io.Reader) (*Reader, error) {
	src := bufio.NewReader(r)
	var head [len(Magic) + 2]byte
	if _, err := io.ReadFull(src, head[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d-byte file header", ErrTruncated, len(head))
		}
		return nil, fmt.Errorf("replay: read: %w", err)
	}
	if string(head[:len(Magic)]) != Magic {
		return nil, ErrNotReplay
	}
	if v := binary.LittleEndian.Uint16(head[len(Magic):]); v != Version {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrVersion, v, Version)
	}
	rd := &Reader{src: src, body: flate.NewReader(src), crc: crc32.NewIEEE(), inTick: -1, sumTick: -1}
	if err := rd.readHeader(); err != nil {
		return nil, fmt.Errorf("replay: header: %w", err)
	}
	return rd, nil
}

// Header returns the match's configuration.
func (r *Reader) Header() Header { return r.h }

func (r *Reader) readHeader() error {
	h := &r.h
	var err error
	if h.Game, err = r.str(); err != nil {
		return err
	}
	if h.Mode, err = r.str(); err != nil {
		return err
	}
	if h.Map, err = r.str(); err != nil {
		return err
	}
	if err = r.full(h.MatchID[:]); err != nil {
		return err
	}
	if h.Seed, err = r.u64(); err != nil {
		return err
	}
	ms, err := binary.ReadVarint(r)
	if err != nil {
		return r.wrap(err)
	}
	h.Start = time.UnixMilli(ms)
	rate, err := r.uv(MaxTickRate)
	if err != nil {
		return err
	}
	players, err := r.uv(MaxPlayers)
	if err != nil {
		return err
	}
	every, err := r.uv(MaxTickRate * 60)
	if err != nil {
		return err
	}
	h.TickRate, h.MaxPlayers, h.ChecksumEvery = int(rate), int(players), int(every)
	return checkHeader(h)
}

// Next returns the next record. After the End record it returns io.EOF; any other error is
// the file's fault (ErrCorrupt, ErrTruncated, ErrTooLarge) or the underlying reader's, and
// sticks. The Inputs of a record are valid until the next call.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if r.done {
		return Record{}, io.EOF
	}
	rec, err := r.next()
	if err != nil {
		r.err = fmt.Errorf("replay: record after tick %d: %w", r.tick, err)
		return Record{}, r.err
	}
	return rec, nil
}

func (r *Reader) next() (Record, error) {
	kind, err := r.ReadByte()
	if err != nil {
		return Record{}, r.wrap(err)
	}
	delta, err := r.uv(MaxTicks)
	if err != nil {
		return Record{}, err
	}
	if uint64(r.tick)+delta > MaxTicks {
		return Record{}, fmt.Errorf("%w: tick %d", ErrTooLarge, uint64(r.tick)+delta)
	}
	r.tick += uint32(delta)
	rec := Record{Kind: Kind(kind), Tick: r.tick}
	switch rec.Kind {
	case KindJoin:
		if err := r.full(r.buf[:2]); err != nil {
			return rec, err
		}
		rec.Player.Slot, rec.Player.Team = r.buf[0], r.buf[1]
		if rec.Player.Name, err = r.str(); err != nil {
			return rec, err
		}
		return rec, r.checkSlot(rec.Player.Slot)
	case KindLeave:
		if rec.Player.Slot, err = r.ReadByte(); err != nil {
			return rec, r.wrap(err)
		}
		return rec, r.checkSlot(rec.Player.Slot)
	case KindInputs:
		rec.Inputs, err = r.readInputs()
		return rec, err
	case KindChecksum:
		if r.sumTick >= 0 && int64(r.tick) <= r.sumTick {
			return rec, fmt.Errorf("%w: checksum at tick %d after one at %d", ErrCorrupt, r.tick, r.sumTick)
		}
		r.sumTick = int64(r.tick)
		rec.Checksum, err = r.u64()
		return rec, err
	case KindEnd:
		rec.Result, err = r.readResult()
		if err != nil {
			return rec, err
		}
		return rec, r.finish()
	}
	return rec, fmt.Errorf("%w: record kind %d", ErrCorrupt, kind)
}

func (r *Reader) checkSlot(slot uint8) error {
	if int(slot) >= r.h.MaxPlayers {
		return fmt.Errorf("%w: slot %d of %d", ErrCorrupt, slot, r.h.MaxPlayers)
	}
	return nil
}

func (r *Reader) readInputs() ([]Input, error) {
	if r.inTick >= 0 && int64(r.tick) <= r.inTick {
		return nil, fmt.Errorf("%w: second inputs record at tick %d", ErrCorrupt, r.tick)
	}
	r.inTick = int64(r.tick)
	n, err := r.uv(uint64(r.h.MaxPlayers))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty inputs record", ErrCorrupt)
	}
	r.inputs = r.inputs[:0]
	next := 0
	for range n {
		if err := r.full(r.buf[:2]); err != nil {
			return nil, err
		}
		slot, flags := r.buf[0], r.buf[1]
		if int(slot) < next || int(slot) >= r.h.MaxPlayers || flags&^flagsKnown != 0 ||
			(flags&flagAbsent != 0 && flags != flagAbsent) {
			return nil, fmt.Errorf("%w: input of slot %d flags %#x", ErrCorrupt, slot, flags)
		}
		next = int(slot) + 1
		st := &r.slots[slot]
		in := Input{Slot: slot, Absent: flags&flagAbsent != 0, Repeated: flags&flagRepeated != 0}
		switch {
		case in.Absent:
		case flags&flagXOR != 0:
			if !st.present || len(st.data) == 0 {
				return nil, fmt.Errorf("%w: slot %d: xor input without a previous one", ErrCorrupt, slot)
			}
			mask, err := binary.ReadUvarint(r)
			if err != nil {
				return nil, r.wrap(err)
			}
			if mask>>len(st.data) != 0 {
				return nil, fmt.Errorf("%w: slot %d: xor mask %#x for %d bytes", ErrCorrupt, slot, mask, len(st.data))
			}
			in.Data = append(make([]byte, 0, len(st.data)), st.data...)
			for j := range in.Data {
				if mask&(1<<j) == 0 {
					continue
				}
				d, err := r.ReadByte()
				if err != nil {
					return nil, r.wrap(err)
				}
				if d == 0 {
					return nil, fmt.Errorf("%w: slot %d: xor byte %d is zero", ErrCorrupt, slot, j)
				}
				in.Data[j] ^= d
			}
		default:
			l, err := r.uv(MaxInputBytes)
			if err != nil {
				return nil, err
			}
			in.Data = make([]byte, l)
			if err := r.full(in.Data); err != nil {
				return nil, err
			}
		}
		if st.equal(&in) {
			return nil, fmt.Errorf("%w: slot %d: input record that changes nothing", ErrCorrupt, slot)
		}
		st.set(&in)
		r.inputs = append(r.inputs, in)
	}
	return r.inputs, nil
}

func (r *Reader) readResult() (wire.Result, error) {
	var res wire.Result
	var err error
	if res.Reason, err = r.str(); err != nil {
		return res, err
	}
	n, err := r.uv(MaxPlayers)
	if err != nil {
		return res, err
	}
	if n > 0 {
		res.Scores = make([]wire.PlayerScore, n)
	}
	for i := range res.Scores {
		s := &res.Scores[i]
		if err := r.full(r.buf[:3]); err != nil {
			return res, err
		}
		s.Slot, s.Team, s.Left = r.buf[0], r.buf[1], r.buf[2]&scoreLeft != 0
		if r.buf[2]&^scoreLeft != 0 {
			return res, fmt.Errorf("%w: score row flags %#x", ErrCorrupt, r.buf[2])
		}
		if s.Name, err = r.str(); err != nil {
			return res, err
		}
		for _, v := range []*int{&s.Score, &s.Kills, &s.Deaths} {
			x, err := binary.ReadVarint(r)
			if err != nil {
				return res, r.wrap(err)
			}
			if x < math.MinInt32 || x > math.MaxInt32 {
				return res, fmt.Errorf("%w: score %d", ErrCorrupt, x)
			}
			*v = int(x)
		}
	}
	return res, nil
}

// finish checks the CRC after End and that nothing follows the body or the file.
func (r *Reader) finish() error {
	want := r.crc.Sum32()
	if err := r.fullRaw(r.buf[:4]); err != nil {
		return err
	}
	if got := binary.LittleEndian.Uint32(r.buf[:4]); got != want {
		return fmt.Errorf("%w: body CRC %08x, computed %08x", ErrCorrupt, got, want)
	}
	if n, err := r.body.Read(r.buf[:1]); n > 0 || (err != nil && err != io.EOF) {
		if err != nil && n == 0 {
			return r.wrap(err)
		}
		return fmt.Errorf("%w: data after the end record", ErrCorrupt)
	}
	if _, err := r.src.ReadByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("replay: read: %w", err)
		}
		return fmt.Errorf("%w: data after the compressed body", ErrCorrupt)
	}
	r.done = true
	return nil
}

// ReadByte reads one body byte (io.ByteReader, for binary.ReadUvarint).
func (r *Reader) ReadByte() (byte, error) {
	if err := r.full(r.buf[7:8]); err != nil {
		return 0, err
	}
	return r.buf[7], nil
}

// full reads len(p) body bytes into p, hashing them.
func (r *Reader) full(p []byte) error {
	if err := r.fullRaw(p); err != nil {
		return err
	}
	r.crc.Write(p)
	return nil
}

func (r *Reader) fullRaw(p []byte) error {
	if _, err := io.ReadFull(r.body, p); err != nil {
		return r.wrap(err)
	}
	return nil
}

// wrap translates a body read error: a short body is ErrTruncated, a bad DEFLATE stream is
// ErrCorrupt.
func (r *Reader) wrap(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the body ends early", ErrTruncated)
	case errors.As(err, &ce):
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrTruncated), errors.Is(err, ErrTooLarge):
		return err
	}
	if strings.Contains(err.Error(), "varint overflows") { // encoding/binary's unexported errOverflow
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return fmt.Errorf("replay: read: %w", err)
}

// uv reads a uvarint no larger than limit.
func (r *Reader) uv(limit uint64) (uint64, error) {
	v, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, r.wrap(err)
	}
	if v > limit {
		return 0, fmt.Errorf("%w: value %d over its limit %d", ErrCorrupt, v, limit)
	}
	return v, nil
}

func (r *Reader) u64() (uint64, error) {
	if err := r.full(r.buf[:8]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(r.buf[:8]), nil
}

func (r *Reader) str() (string, error) {
	n, err := r.uv(MaxNameBytes)
	if err != nil {
		return "", err
	}
	var b [MaxNameBytes]byte
	if err := r.full(b[:n]); err != nil {
		return "", err
	}
	return string(b[:n]), nil
}

// Read reads a whole replay into memory. The uncompressed body may be at most MaxBodyBytes;
// a stream of records (verification) reads any length with NewReader.
func Read(r io.Reader) (*Replay, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	rep := &Replay{Header: rd.Header()}
	size := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
		size += 16 + len(rec.Player.Name)
		if rec.Kind == KindInputs {
			rec.Inputs = cloneInputs(rec.Inputs)
			for _, in := range rec.Inputs {
				size += 8 + len(in.Data)
			}
		}
		if size > MaxBodyBytes {
			return nil, fmt.Errorf("%w: over %d bytes in memory", ErrTooLarge, MaxBodyBytes)
		}
		rep.Records = append(rep.Records, rec)
	}
}

func cloneInputs(in []Input) []Input {
	out := make([]Input, len(in))
	for i, x := range in {
		out[i] = x
		out[i].Data = bytes.Clone(x.Data)
	}
	return out
}
