// Command floor is Skirmish's bare-socket yardstick (package cmd/internal/floor): a UDP
// server with batched receive and send and no game, no crypto, no acknowledgements, and the
// clients that load it. go run ./cmd/bots -compare-peer runs it beside the game server.
//
//	floor -mode server -addr 127.0.0.1:7501 -size 60 -rate 30
//	floor -mode clients -addr 127.0.0.1:7501 -n 64 -up 30 -d 20s
//
// The server prints "floor: listening on ADDR" and runs until SIGINT or SIGTERM; the clients
// print one JSON line (datagrams and bytes each received per second) when done.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/cmd/internal/floor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "server", "server or clients")
	addr := fs.String("addr", "127.0.0.1:7501", "UDP `address` the server listens on and the clients send to")
	size := fs.Int("size", floor.DefaultSize, "server: bytes of each datagram to a client")
	rate := fs.Int("rate", floor.DefaultRate, "server: datagrams per second to each client")
	n := fs.Int("n", 64, "clients: how many")
	up := fs.Float64("up", floor.DefaultUp, "clients: datagrams each sends per second (may be fractional)")
	d := fs.Duration("d", 20*time.Second, "clients: how long they run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch *mode {
	case "server":
		c, err := net.ListenPacket("udp", *addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "floor: listening on %s\n", c.LocalAddr())
		return floor.Serve(ctx, c.(*net.UDPConn), floor.ServerConfig{Size: *size, Rate: *rate})
	case "clients":
		res, err := floor.RunClients(ctx, floor.ClientsConfig{Addr: *addr, N: *n, Up: *up, Duration: *d})
		if err != nil {
			return err
		}
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	return errors.New("-mode: want server or clients")
}
