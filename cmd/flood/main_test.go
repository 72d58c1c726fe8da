package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefusesNonLoopbackTarget(t *testing.T) {
	for _, args := range [][]string{
		{"-game", "8.8.8.8:7001"}, {"-lobby", "10.1.2.3:7000"}, {"-game", "example.com:7001"},
		{"-game", "127.0.0.1:7001", "-src", "192.168.0.1"},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, run(args, &out, &errb), "%v", args)
		assert.Contains(t, errb.String(), "not a loopback address", "%v", args)
		assert.Empty(t, out.String())
	}
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run([]string{"-game", "127.0.0.1:1", "-kinds", "nuke"}, &out, &errb))
	assert.Equal(t, 2, run([]string{"-game", "127.0.0.1:1", "-key", "zz"}, &out, &errb))
}

func TestJSONSummary(t *testing.T) {
	sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	var out, errb bytes.Buffer
	code := run([]string{"-game", sink.LocalAddr().String(), "-kinds", "junk,forged,expired", "-rate", "3000",
		"-count", "300", "-duration", "2s", "-json", "-q"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var sum struct {
		Sent  uint64 `json:"sent"`
		Kinds map[string]struct {
			Sent     uint64 `json:"sent"`
			BytesOut uint64 `json:"bytes_out"`
		} `json:"kinds"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out.String())), &sum), out.String())
	assert.Equal(t, uint64(300), sum.Sent)
	assert.Len(t, sum.Kinds, 3)
	assert.Equal(t, uint64(100), sum.Kinds["forged"].Sent)
	assert.Equal(t, uint64(100*1078), sum.Kinds["forged"].BytesOut)
}
