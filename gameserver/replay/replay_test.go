package replay

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/wire"
)

var update = flag.Bool("update", false, "rewrite the seed corpus in testdata/fuzz/FuzzReadReplay")

func testHeader() Header {
	return Header{Game: "arena", Mode: "ffa", Map: "arena", MatchID: [16]byte{1, 2, 3, 15: 16}, Seed: 0xfeedface,
		Start: time.UnixMilli(1_796_000_000_123), TickRate: 60, MaxPlayers: 4, ChecksumEvery: 60}
}

// record makes a small match: joins, inputs that change and repeat, a leave, checksums, end.
func record(t testing.TB, ticks uint32) *Encoder {
	t.Helper()
	e, err := NewEncoder(testHeader())
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Join(0, Player{Slot: 0, Team: 1, Name: "ann"}))
	must(e.Join(0, Player{Slot: 2, Team: 2, Name: "bob"}))
	r := rand.New(rand.NewPCG(1, 2))
	for tick := range ticks {
		if tick == 30 {
			must(e.Join(tick, Player{Slot: 3, Name: "cy"}))
		}
		if tick == 90 {
			must(e.Leave(tick, 2))
		}
		var ins []Input
		for _, s := range []uint8{0, 2, 3} {
			if (s == 3 && tick < 30) || (s == 2 && tick >= 90) {
				continue
			}
			in := Input{Slot: s, Data: []byte{byte(tick / 10), byte(s), 0, byte(r.IntN(3)), 5, 6, 7, 8}}
			if s == 3 && tick%7 == 0 {
				in = Input{Slot: s, Repeated: true}
			}
			ins = append(ins, in)
		}
		must(e.Tick(tick, ins))
		if (tick+1)%60 == 0 {
			must(e.Checksum(tick+1, uint64(tick)*0x9e3779b97f4a7c15))
		}
	}
	must(e.End(ticks, wire.Result{Reason: "time_limit", Scores: []wire.PlayerScore{
		{Slot: 0, Team: 1, Name: "ann", Score: 3, Kills: 3, Deaths: -1}, {Slot: 3, Name: "cy", Score: 1 << 30}, {Slot: 2, Team: 2, Name: "bob", Score: 2, Left: true}}}))
	return e
}

func encode(t testing.TB, e *Encoder) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := e.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// inputsAt replays the records into the full input list of every tick, as a verifier sees it.
func inputsAt(rep *Replay, ticks uint32) [][]Input {
	var state [MaxPlayers]slotState
	out := make([][]Input, ticks)
	i := 0
	for tick := range ticks {
		for i < len(rep.Records) && rep.Records[i].Tick <= tick {
			if rep.Records[i].Kind == KindInputs {
				for _, in := range rep.Records[i].Inputs {
					state[in.Slot].set(&in)
				}
			}
			i++
		}
		for s := range state {
			if state[s].present {
				out[tick] = append(out[tick], Input{Slot: uint8(s), Repeated: state[s].repeated,
					Data: bytes.Clone(state[s].data)})
			}
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	file := encode(t, record(t, 200))
	rep, err := Read(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Header, testHeader()) {
		t.Fatalf("header %+v, want %+v", rep.Header, testHeader())
	}
	end := rep.End()
	if end.Tick != 200 || end.Result.Reason != "time_limit" || end.Result.Scores[1].Score != 1<<30 ||
		end.Result.Scores[0].Deaths != -1 || end.Result.Scores[0].Left || !end.Result.Scores[2].Left {
		t.Fatalf("end %+v", end)
	}
	var kinds = map[Kind]int{}
	for _, r := range rep.Records {
		kinds[r.Kind]++
	}
	if kinds[KindJoin] != 3 || kinds[KindLeave] != 1 || kinds[KindChecksum] != 3 || kinds[KindEnd] != 1 {
		t.Fatalf("record kinds %v", kinds)
	}
	// The inputs each tick are exactly what was recorded.
	all := inputsAt(rep, 200)
	if got := all[95]; len(got) != 2 || got[0].Slot != 0 || got[1].Slot != 3 {
		t.Fatalf("tick 95 inputs %+v, want slots 0 and 3", got)
	}
	if got := all[35][2]; got.Slot != 3 || !got.Repeated || len(got.Data) != 0 {
		t.Fatalf("tick 35 slot 3 %+v, want a repeated empty input", got)
	}
	if got := all[36][2]; got.Repeated || !bytes.Equal(got.Data, []byte{3, 3, 0, got.Data[3], 5, 6, 7, 8}) {
		t.Fatalf("tick 36 slot 3 %+v", got)
	}
	// Re-encoding the read replay gives the same replay.
	var again bytes.Buffer
	if err := Encode(&again, rep); err != nil {
		t.Fatal(err)
	}
	rep2, err := Read(&again)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, rep2) {
		t.Fatal("re-encoded replay differs")
	}
}

// TestOnlyChanges: a tick whose inputs equal the last tick's costs nothing.
func TestOnlyChanges(t *testing.T) {
	e, _ := NewEncoder(testHeader())
	in := []Input{{Slot: 1, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
	e.Tick(0, in)
	n := e.Len()
	for tick := uint32(1); tick < 1000; tick++ {
		if err := e.Tick(tick, in); err != nil {
			t.Fatal(err)
		}
	}
	if e.Len() != n {
		t.Fatalf("999 unchanged ticks took %d bytes", e.Len()-n)
	}
	in[0].Data[5] = 9
	e.Tick(1000, in)
	// kind, tick delta (2 bytes), count, slot, flags, mask, one xor byte
	if d := e.Len() - n; d != 8 {
		t.Fatalf("a one-byte change took %d bytes, want 8", d)
	}
}

func TestEncoderRejects(t *testing.T) {
	e, _ := NewEncoder(testHeader())
	e.Tick(5, []Input{{Slot: 0, Data: []byte{1}}})
	if err := e.Checksum(4, 1); err == nil {
		t.Fatal("record before the last tick accepted")
	}
	if e.Err() == nil {
		t.Fatal("error did not stick")
	}
	e, _ = NewEncoder(testHeader())
	if err := e.Tick(0, []Input{{Slot: 2}, {Slot: 1}}); err == nil {
		t.Fatal("inputs out of slot order accepted")
	}
	e, _ = NewEncoder(testHeader())
	if err := e.Tick(0, []Input{{Slot: 4}}); err == nil {
		t.Fatal("slot beyond max players accepted")
	}
	e, _ = NewEncoder(testHeader())
	if _, err := e.WriteTo(io.Discard); err == nil {
		t.Fatal("file written before End")
	}
	if _, err := NewEncoder(Header{TickRate: 60}); err == nil {
		t.Fatal("zero max players accepted")
	}
}

// TestTruncated: every prefix of a replay is rejected as truncated (or corrupt, where the
// cut falls inside a DEFLATE block), never read as a shorter match.
func TestTruncated(t *testing.T) {
	file := encode(t, record(t, 150))
	for n := range len(file) {
		_, err := Read(bytes.NewReader(file[:n]))
		if err == nil {
			t.Fatalf("%d of %d bytes read without error", n, len(file))
		}
		if n >= len(Magic)+2 && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%d bytes: %v, want ErrTruncated or ErrCorrupt", n, err)
		}
	}
	if _, err := Read(bytes.NewReader(file[:len(file)/2])); !errors.Is(err, ErrTruncated) {
		t.Fatalf("half a file: %v, want ErrTruncated", err)
	}
}

func TestCorrupt(t *testing.T) {
	file := encode(t, record(t, 150))
	tests := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrNotReplay},
		{"version", func(b []byte) []byte { b[8] = 9; return b }, ErrVersion},
		{"trailing", func(b []byte) []byte { return append(b, 0) }, ErrCorrupt},
		{"empty", func([]byte) []byte { return nil }, ErrTruncated},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader(tt.edit(bytes.Clone(file))))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A flipped byte anywhere in the compressed body is an error (the body's CRC, or DEFLATE).
	for i := len(Magic) + 2; i < len(file); i++ {
		b := bytes.Clone(file)
		b[i] ^= 0xff
		if _, err := Read(bytes.NewReader(b)); err == nil {
			t.Fatalf("byte flip at %d of %d read without error", i, len(file))
		}
	}
}

// TestBodyLimits: lengths over their limits are rejected before they are read.
func TestBodyLimits(t *testing.T) {
	e, _ := NewEncoder(testHeader())
	head := bytes.Clone(e.body)
	tests := map[string][]byte{
		"huge tick delta":     {byte(KindChecksum), 0xff, 0xff, 0xff, 0xff, 0x0f},
		"unknown kind":        {9, 0},
		"slot out of range":   {byte(KindJoin), 0, 7, 0, 0},
		"input too long":      {byte(KindInputs), 0, 1, 0, 0, 200, 1},
		"empty inputs":        {byte(KindInputs), 0, 0},
		"unknown input flags": {byte(KindInputs), 0, 1, 0, 0x80},
		"xor without base":    {byte(KindInputs), 0, 1, 0, flagXOR, 1, 1},
		"name too long":       {byte(KindJoin), 0, 0, 0, 100},
		"varint overflow":     {byte(KindChecksum), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	}
	for name, rec := range tests {
		var file bytes.Buffer
		e := &Encoder{h: testHeader(), body: append(bytes.Clone(head), rec...), ended: true}
		e.WriteTo(&file)
		_, err := Read(&file)
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrCorrupt or ErrTooLarge", name, err)
		}
	}
}

func TestDirAtomicAndRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replays")
	// A crash while writing left a temporary file: NewDir removes it, listings never show it.
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(path, ".writing-123"+Ext+".tmp")
	os.WriteFile(stale, []byte("half"), 0o644)
	d, err := NewDir(path, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file survived NewDir: %v", err)
	}
	enc := record(t, 100)
	base := time.Now().Add(-time.Hour)
	for i := range 5 {
		name := Name(fmt.Sprintf("%032x", i))
		if err := d.Save(name, enc); err != nil {
			t.Fatal(err)
		}
		// Distinct, increasing modification times, whatever the file system's resolution.
		mt := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(filepath.Join(path, name), mt, mt)
	}
	names, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{Name(fmt.Sprintf("%032x", 2)), Name(fmt.Sprintf("%032x", 3)), Name(fmt.Sprintf("%032x", 4))}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("kept %v, want the newest three %v", names, want)
	}
	entries, _ := os.ReadDir(path)
	if len(entries) != 3 {
		t.Fatalf("%d files in the directory, want 3 (no temporary left)", len(entries))
	}
	// A failed write leaves nothing under the final name.
	if err := d.Save(Name("bad"), failingWriter{}); err == nil {
		t.Fatal("failed write reported success")
	}
	if _, err := os.Stat(filepath.Join(path, Name("bad"))); !os.IsNotExist(err) {
		t.Fatalf("failed write left a file: %v", err)
	}
	entries, _ = os.ReadDir(path)
	if len(entries) != 3 {
		t.Fatalf("%d files after a failed write, want 3", len(entries))
	}
	if err := d.Save("../x"+Ext, enc); err == nil {
		t.Fatal("a name with a path accepted")
	}
}

func TestDirSizeBound(t *testing.T) {
	d, err := NewDir(t.TempDir(), 0, 1) // any replay is over one byte: only the newest stays
	if err != nil {
		t.Fatal(err)
	}
	enc := record(t, 10)
	for i := range 3 {
		if err := d.Save(Name(fmt.Sprint(i)), enc); err != nil {
			t.Fatal(err)
		}
		names, _ := d.List()
		if len(names) != 1 || names[0] != Name(fmt.Sprint(i)) {
			t.Fatalf("after save %d: %v, want only the newest", i, names)
		}
	}
}

type failingWriter struct{}

func (failingWriter) WriteTo(w io.Writer) (int64, error) {
	w.Write([]byte("part"))
	return 4, errors.New("disk full")
}

func FuzzReadReplay(f *testing.F) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadReplay")
	if *update {
		os.MkdirAll(dir, 0o755)
		for i, ticks := range []uint32{0, 3, 70} {
			file := encode(f, record(f, ticks))
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", file)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	f.Add(encode(f, record(f, 20)))
	f.Add([]byte(Magic + "\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Read(bytes.NewReader(b))
		if err != nil {
			for _, want := range []error{ErrNotReplay, ErrVersion, ErrCorrupt, ErrTruncated, ErrTooLarge} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("unclassified error %v", err)
		}
		var again bytes.Buffer
		if err := Encode(&again, rep); err != nil {
			t.Fatalf("a replay that reads does not encode: %v", err)
		}
		rep2, err := Read(&again)
		if err != nil {
			t.Fatalf("re-encoded replay does not read: %v", err)
		}
		if !reflect.DeepEqual(rep, rep2) {
			t.Fatal("re-encoded replay differs")
		}
	})
}
