package flood

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Lobby attack sizes.
const (
	hugeLineBytes  = 1 << 20 // the hugeline kind's line
	maxReplyLine   = 1 << 17 // longest reply line the reader keeps (the lobby's limit is 64 KiB)
	dialsInFlight  = 128     // concurrent connection attempts
	lineStep       = 10 * time.Millisecond
	slowlorisStart = `{"type":"hello","version":1,"name":"slow`
)

type tcpAttack struct {
	p    *plan
	open atomic.Int64
}

func newTCPAttack(p *plan) *tcpAttack { return &tcpAttack{p: p} }

func (t *tcpAttack) run(ctx context.Context) {
	sem := make(chan struct{}, dialsInFlight)
	var wg sync.WaitGroup
	kinds := t.p.tcp
	for i := range t.p.cfg.Conns {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		k := kinds[i%len(kinds)]
		wg.Go(func() { t.conn(ctx, k, i, sem) })
	}
	wg.Wait()
}

// conn runs one hostile lobby connection until the deadline or until the server closes it.
func (t *tcpAttack) conn(ctx context.Context, k Kind, i int, sem chan struct{}) {
	cfg := t.p.cfg
	c := t.p.stats[k]
	src := t.p.srcIPs[i%len(t.p.srcIPs)]
	d := net.Dialer{Timeout: cfg.DialTimeout, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))}
	nc, err := d.DialContext(ctx, "tcp", t.p.lobby.String())
	<-sem
	c.sent.Add(1) // the connection attempt
	if err != nil {
		if ctx.Err() == nil {
			c.errors.Add(1)
			c.setNote("dial: " + err.Error())
		}
		return
	}
	c.conns.Add(1)
	t.open.Add(1)
	defer t.open.Add(-1)

	var weClosed atomic.Bool
	var lastWasCode bool // the reader's: was the last line an error with a code
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(nc)
		sc.Buffer(make([]byte, 0, 4096), maxReplyLine)
		for sc.Scan() {
			line := sc.Bytes()
			c.replies.Add(1)
			c.bytesIn.Add(uint64(len(line) + 1))
			var m struct{ Type, Code string }
			lastWasCode = json.Unmarshal(line, &m) == nil && m.Type == "error" && m.Code != ""
			if lastWasCode {
				c.code(m.Code)
			}
		}
		if !weClosed.Load() {
			c.closed.Add(1)
			if lastWasCode {
				c.closedWithCode.Add(1)
			}
		}
	}()
	w := &writer{nc: nc, c: c, done: readerDone, ctx: ctx}
	t.attack(w, k, i)
	// Wait for the deadline or the server's close, whichever comes first.
	select {
	case <-ctx.Done():
	case <-readerDone:
	}
	weClosed.Store(true)
	nc.Close()
	<-readerDone
}

// writer writes to one connection and stops on the first failure, the deadline or the
// server's close.
type writer struct {
	nc   net.Conn
	c    *counters
	done <-chan struct{}
	ctx  context.Context
	dead bool
}

func (w *writer) write(s string) bool {
	if w.dead {
		return false
	}
	select {
	case <-w.done:
		w.dead = true
		return false
	case <-w.ctx.Done():
		w.dead = true
		return false
	default:
	}
	deadline, _ := w.ctx.Deadline()
	_ = w.nc.SetWriteDeadline(deadline)
	n, err := w.nc.Write([]byte(s))
	w.c.bytesOut.Add(uint64(n))
	if err != nil {
		w.dead = true
		return false
	}
	w.c.sent.Add(1)
	return true
}

// wait returns false once the connection is over, else after d.
func (w *writer) wait(d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-w.done:
		return false
	case <-w.ctx.Done():
		return false
	case <-tm.C:
		return !w.dead
	}
}

var badJSONLines = []string{
	`{`, `not json at all`, `{"type":`, `{"type":"hello","version":"one"}`, `[1,2,3]`, `{"type":123}`,
	`{"id":1}`, `{"type":"hello","id":-1}`, "\x00\x01\x02\xff\xfe", `{"type":"hello","version":1,"name":"` + strings.Repeat("\\u0000", 40) + `"}`,
	`{"type":"queue","id":1e400}`, `{"type":"ping","id":18446744073709551616}`,
}

var unknownTypes = []string{"frobnicate", "admin", "shutdown", "match_found", "", "HELLO", "welcome"}

var stormTypes = []string{"ping", "presence", "room_list", "history", "queue", "cancel_queue", "room_leave"}

// attack writes the kind's traffic until the connection is over.
func (t *tcpAttack) attack(w *writer, k Kind, i int) {
	cfg := t.p.cfg
	switch k {
	case Silent:
		return
	case Slowloris:
		if !w.write(slowlorisStart) {
			return
		}
		for range int(MaxDuration/cfg.SlowInterval) + 1 {
			if !w.wait(cfg.SlowInterval) || !w.write("w") {
				return
			}
		}
	case HugeLine:
		chunk := strings.Repeat("A", 64<<10)
		if !w.write(`{"type":"hello","version":1,"name":"`) {
			return
		}
		for range hugeLineBytes / len(chunk) {
			if !w.write(chunk) {
				return
			}
		}
		w.write("\"}\n")
	case BadJSON, Unknown, Storm:
		id := 0
		line := func() string {
			id++
			switch k {
			case BadJSON:
				return badJSONLines[(i+id)%len(badJSONLines)] + "\n"
			case Unknown:
				return fmt.Sprintf(`{"type":%q,"id":%d}`+"\n", unknownTypes[(i+id)%len(unknownTypes)], id)
			}
			if id == 1 {
				return fmt.Sprintf(`{"type":"hello","id":1,"version":1,"name":"flood%d-%d"}`+"\n", i, cfg.Seed%100000)
			}
			typ := stormTypes[(i+id)%len(stormTypes)]
			if typ == "queue" {
				return fmt.Sprintf(`{"type":"queue","id":%d,"mode":"nosuchmode"}`+"\n", id)
			}
			return fmt.Sprintf(`{"type":%q,"id":%d}`+"\n", typ, id)
		}
		stop := cfg.Duration
		if cfg.StormFor > 0 {
			stop = min(stop, cfg.StormFor)
		}
		// Lines due follow the wall clock, so a late timer does not lower the rate; the loop is
		// bounded by time and by a step count.
		start := time.Now()
		sent := 0
		for range 100 * (int(stop/lineStep) + 1) {
			el := time.Since(start)
			if el >= stop {
				break
			}
			due := int(el.Seconds()*float64(cfg.LineRate)) + 1
			var b strings.Builder
			for ; sent < due; sent++ {
				b.WriteString(line())
			}
			if b.Len() > 0 && !w.write(b.String()) {
				return
			}
			if !w.wait(lineStep) {
				return
			}
		}
		if k == Storm && w.wait(time.Second) {
			// A well-formed request once the rate bucket has refilled: if the lobby later
			// closes the connection, its last line shows whether it said why.
			w.write(fmt.Sprintf(`{"type":"ping","id":%d}`+"\n", id+1))
		}
	}
}
