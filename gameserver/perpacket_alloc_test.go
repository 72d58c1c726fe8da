//go:build !race

// Under the race detector sync.Pool drops items at random, and x/net's sendmmsg takes its
// scratch from one: allocation budgets run without it (.ci/run runs them).

package gameserver

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPerPacketPathAllocatesNothing(t *testing.T) {
	pb := newPacketBench(t, 16)
	// Warm up: buffers at their working size, and every slot of the Endpoints' 1024-packet
	// rings used once (a slot's list of reliable messages keeps its array from then on).
	for range 1100 {
		pb.nextInput(t)
		pb.dispatch()
		pb.snapshot()
	}
	// Fresh packets (an Endpoint drops a repeated sequence number before any work).
	var pkts [][]byte
	for range 101 {
		pb.nextInput(t)
		pkts = append(pkts, slices.Clone(pb.pkt))
	}
	c := pb.m.seats[0].conn
	received := c.ep.Stats().PacketsReceived
	next := 0
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		pb.pkt = pkts[next]
		next++
		pb.dispatch()
	}), "dispatch")
	assert.Equal(t, received+101, c.ep.Stats().PacketsReceived, "every packet reached the client's Endpoint")
	assert.Equal(t, pb.seq, c.in.newest, "and its input the input buffer")
	assert.Zero(t, testing.AllocsPerRun(100, pb.snapshot), "snapshot send, 16 clients")
}
