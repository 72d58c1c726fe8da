package netcode

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunkCodec(t *testing.T) {
	tests := []struct {
		name string
		c    chunk
		wire []byte
	}{
		{"reliable", chunk{kind: chunkReliable, id: 0x0102, data: []byte("hi")},
			[]byte{0x01, 0x01, 0x02, 0x02, 'h', 'i'}},
		{"reliableEmpty", chunk{kind: chunkReliable, id: 7, data: []byte{}},
			[]byte{0x01, 0x00, 0x07, 0x00}},
		{"reliableFrag", chunk{kind: chunkReliableFrag, id: 9, index: 1, count: 3, data: []byte("x")},
			[]byte{0x02, 0x00, 0x09, 0x01, 0x03, 0x01, 'x'}},
		{"unreliable", chunk{kind: chunkUnreliable, id: 65535, data: []byte("abc")},
			[]byte{0x03, 0xFF, 0xFF, 0x03, 'a', 'b', 'c'}},
		{"unreliableFrag", chunk{kind: chunkUnreliableFrag, id: 1, index: 255, count: 256, fragSize: 100, data: []byte("z")},
			[]byte{0x04, 0x00, 0x01, 0x40, 0xFF, 0x41, 0x00, 0x40, 0x64, 0x01, 'z'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.c.append(nil)
			require.Equal(t, tt.wire, b)
			assert.Equal(t, len(b), tt.c.len())
			assert.LessOrEqual(t, len(b)-len(tt.c.data), maxChunkOverhead)
			c, n, err := parseChunk(append(b, 0xEE))
			require.NoError(t, err)
			assert.Equal(t, len(b), n)
			if len(tt.c.data) == 0 {
				tt.c.data = c.data[:0]
			}
			assert.Equal(t, tt.c, c)
			for i := range len(b) {
				_, _, err := parseChunk(b[:i])
				require.ErrorIs(t, err, io.ErrUnexpectedEOF, "truncated at %d", i)
			}
		})
	}
}

func TestChunkMalformed(t *testing.T) {
	for name, wire := range map[string][]byte{
		"kind0":       {0x00, 0, 0, 0},
		"kind5":       {0x05, 0, 0, 0},
		"count1":      {0x02, 0, 0, 0x00, 0x01, 0x01, 'x'},
		"count257":    {0x02, 0, 0, 0x00, 0x41, 0x01, 0x01, 'x'},
		"indexHigh":   {0x02, 0, 0, 0x03, 0x03, 0x01, 'x'},
		"emptyFrag":   {0x02, 0, 0, 0x00, 0x02, 0x00},
		"fragSize0":   {0x04, 0, 0, 0x00, 0x02, 0x00, 0x01, 'x'},
		"fragSizeBig": {0x04, 0, 0, 0x00, 0x02, 0x80, 0x01, 0x00, 0x01, 0x01, 'x'},
	} {
		_, _, err := parseChunk(wire)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

// fragments splits msg into unreliable fragment chunks of size fs.
func fragments(seq uint16, msg []byte, fs int) []chunk {
	count := (len(msg) + fs - 1) / fs
	out := make([]chunk, 0, count)
	for i := range count {
		out = append(out, chunk{kind: chunkUnreliableFrag, id: seq, index: i, count: count, fragSize: fs,
			data: msg[i*fs : min((i+1)*fs, len(msg))]})
	}
	return out
}

func TestReassembler(t *testing.T) {
	now := time.Unix(1000, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	msg := make([]byte, 1000)
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}

	t.Run("outOfOrderWithDuplicates", func(t *testing.T) {
		r := newReassembler(4096, 2, time.Second)
		fr := fragments(5, msg, 64)
		rng.Shuffle(len(fr), func(i, j int) { fr[i], fr[j] = fr[j], fr[i] })
		fr = append(fr[:3:3], fr...) // three duplicates up front
		var got []byte
		for i := range fr {
			m, err := r.add(now, &fr[i])
			require.NoError(t, err)
			if m != nil {
				require.Nil(t, got, "completes once")
				got = bytes.Clone(m)
			}
		}
		assert.Equal(t, msg, got)
		assert.Zero(t, r.pending())
	})

	t.Run("slotsBoundAndEvictOldest", func(t *testing.T) {
		r := newReassembler(4096, 2, time.Second)
		for seq := range uint16(5) {
			fr := fragments(seq, msg, 100)
			_, err := r.add(now, &fr[0])
			require.NoError(t, err)
			assert.LessOrEqual(t, r.pending(), 2)
		}
		assert.Equal(t, uint64(3), r.evicted)
		old := fragments(1, msg, 100)
		m, err := r.add(now, &old[1])
		require.NoError(t, err)
		assert.Nil(t, m)
		assert.Equal(t, 2, r.pending(), "older than everything in progress: dropped")
		r.evictOlder(4)
		assert.Zero(t, r.pending())
	})

	t.Run("timeout", func(t *testing.T) {
		r := newReassembler(4096, 2, time.Second)
		fr := fragments(1, msg, 100)
		_, err := r.add(now, &fr[0])
		require.NoError(t, err)
		fr2 := fragments(2, msg, 100)
		_, err = r.add(now.Add(2*time.Second), &fr2[0])
		require.NoError(t, err)
		assert.Equal(t, 1, r.pending())
		assert.Equal(t, uint64(1), r.evicted)
	})

	t.Run("limits", func(t *testing.T) {
		r := newReassembler(500, 2, time.Second)
		fr := fragments(1, msg, 100) // 1000 bytes > 500
		_, err := r.add(now, &fr[0])
		require.ErrorIs(t, err, ErrMalformed)
		ok := fragments(2, msg[:300], 100)
		short := ok[0]
		short.data = short.data[:50]
		_, err = r.add(now, &short)
		require.ErrorIs(t, err, ErrMalformed, "non-last fragment must be full")
		_, err = r.add(now, &ok[0])
		require.NoError(t, err)
		other := ok[1]
		other.count = 4
		_, err = r.add(now, &other)
		require.ErrorIs(t, err, ErrMalformed, "disagreeing count")
	})
}

func TestReassemblerAllocs(t *testing.T) {
	r := newReassembler(4096, 2, time.Second)
	now := time.Unix(0, 0)
	msg := make([]byte, 1000)
	var seq uint16
	fr := fragments(0, msg, 100)
	allocs := testing.AllocsPerRun(100, func() {
		seq++
		var done []byte
		for i := range fr {
			fr[i].id = seq
			done, _ = r.add(now, &fr[i])
		}
		if len(done) != len(msg) {
			panic("incomplete")
		}
	})
	assert.Zero(t, allocs, "buffers are reused after warm-up")
}

// FuzzFragmentReassembly feeds arbitrary chunk streams to a reassembler with
// small limits: never a panic, a completed message never exceeds the limit,
// and the number of partial messages stays bounded.
func FuzzFragmentReassembly(f *testing.F) {
	msg := bytes.Repeat([]byte("0123456789"), 30)
	var seed []byte
	for _, c := range fragments(1, msg, 64) {
		seed = c.append(seed)
	}
	f.Add(seed, uint8(0))
	var rev []byte
	fr := fragments(2, msg, 100)
	for i := len(fr) - 1; i >= 0; i-- {
		rev = fr[i].append(rev)
	}
	f.Add(rev, uint8(7))
	f.Add([]byte{0x04, 0, 1, 0, 2, 0x40, 0x64, 0x01, 'x'}, uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		const limit, slots = 512, 3
		r := newReassembler(limit, slots, time.Second)
		now := time.Unix(0, 0)
		for len(b) > 0 {
			c, n, err := parseChunk(b)
			if err != nil {
				return
			}
			b = b[n:]
			now = now.Add(time.Duration(step) * 10 * time.Millisecond)
			if c.kind != chunkUnreliableFrag {
				continue
			}
			m, err := r.add(now, &c)
			if err != nil {
				continue
			}
			require.LessOrEqual(t, len(m), limit)
			require.LessOrEqual(t, r.pending(), slots)
		}
	})
}
