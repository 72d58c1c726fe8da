package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// TestMain lets the test binary act as the lobby command in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("SKIRMISH_RUN_LOBBY") == "1" {
		os.Args = append([]string{"lobby"}, strings.Fields(os.Getenv("SKIRMISH_LOBBY_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSIGTERMGracefulExit(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SKIRMISH_RUN_LOBBY=1", "SKIRMISH_LOBBY_ARGS=-addr 127.0.0.1:0",
		"SKIRMISH_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var addr string
	select {
	case l := <-lines:
		require.True(t, strings.HasPrefix(l, "lobby listening on tcp://"), l)
		addr = strings.TrimPrefix(l, "lobby listening on tcp://")
	case <-time.After(10 * time.Second):
		t.Fatal("lobby did not print its address")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Hello(ctx, "ada")
	require.NoError(t, err)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case m := <-c.Events():
		assert.Equal(t, proto.TypeShutdown, m.Type)
	case <-ctx.Done():
		t.Fatal("no shutdown event")
	}
	c.Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "exit status 0")
	case <-ctx.Done():
		t.Fatal("lobby did not exit")
	}
}

func TestMissingKey(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	env := []string{"SKIRMISH_RUN_LOBBY=1", "SKIRMISH_LOBBY_ARGS=-addr 127.0.0.1:0"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "SKIRMISH_KEY=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(b), "SKIRMISH_KEY")
}
