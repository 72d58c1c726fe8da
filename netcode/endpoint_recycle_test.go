package netcode

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A receiver that recycles every unreliable message receives them without allocating, and
// gets each message intact and in order.
func TestRecycleUnreliableReceivesWithoutAllocating(t *testing.T) {
	now := time.Unix(100, 0)
	x, y := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	var pkts, want [][]byte
	for i := range 300 {
		want = append(want, []byte{byte(i), byte(i >> 8), 7, 7, 7}[:2+i%4])
		require.NoError(t, x.SendUnreliable(want[i]))
		require.NoError(t, x.Flush(now, func(p []byte) error { pkts = append(pkts, append([]byte(nil), p...)); return nil }))
	}
	next := 0
	receive := func() {
		if err := y.Receive(now, pkts[next]); err != nil {
			t.Fatal(err)
		}
		msg, ok := y.NextUnreliable()
		if !ok || !bytes.Equal(msg, want[next]) {
			t.Fatalf("message %d: got %v %v", next, msg, ok)
		}
		if _, ok := y.NextUnreliable(); ok {
			t.Fatal("one message per packet")
		}
		y.RecycleUnreliable(msg)
		next++
	}
	for range 10 {
		receive()
	}
	assert.Zero(t, testing.AllocsPerRun(200, receive))
}

// Without a reader, the queue keeps the newest maxUnreliableQueue messages, oldest first.
func TestUnreliableQueueDropsOldest(t *testing.T) {
	now := time.Unix(100, 0)
	x, y := NewEndpoint(EndpointConfig{}), NewEndpoint(EndpointConfig{})
	const sent = maxUnreliableQueue + 100
	for i := range sent {
		require.NoError(t, x.SendUnreliable([]byte{byte(i), byte(i >> 8)}))
		require.NoError(t, x.Flush(now, func(p []byte) error { return y.Receive(now, p) }))
		if i == 10 {
			// A read in between: the queue starts past the front of its array.
			msg, ok := y.NextUnreliable()
			require.True(t, ok)
			require.Equal(t, []byte{0, 0}, msg)
		}
	}
	var got []int
	for {
		msg, ok := y.NextUnreliable()
		if !ok {
			break
		}
		got = append(got, int(msg[0])|int(msg[1])<<8)
	}
	require.Len(t, got, maxUnreliableQueue)
	for i, v := range got {
		require.Equal(t, sent-maxUnreliableQueue+i, v)
	}
}
