// Package netsim simulates an imperfect network link for tests, bots and
// the cmd/netsim proxy.
//
// It has three pieces:
//
//   - [Wrap] turns any net.PacketConn (a real UDP socket or a [Network]
//     conn) into a [Conn] that impairs datagrams in both directions:
//     [Config.Send] applies to WriteTo, [Config.Recv] to what ReadFrom
//     returns.
//   - [Network] is an in-memory datagram network: [Network.Listen] hands
//     out conns that reach each other by address, with no sockets, and that
//     work inside a testing/synctest bubble.
//   - [Proxy] is a UDP impairment proxy between clients and one server;
//     cmd/netsim is its command-line front end.
//
// # Impairments
//
// Each direction has its own [Impairment]; its zero value is a perfect link.
// For every datagram offered to a direction, in this order:
//
//   - Loss: with probability Loss the datagram is dropped.
//   - Bandwidth cap: with RateBytesPerSec > 0 datagrams are serialised
//     through a queue drained at that rate, as on a bottleneck link; a
//     datagram that would take the backlog past QueueBytes is dropped
//     (counted as Dropped and Overflow). Time spent queued is added to the
//     delay.
//   - Latency and jitter: the datagram is delivered Latency ± Jitter later,
//     the offset drawn uniformly per datagram and clamped at zero. Jitter
//     wider than the spacing between datagrams reorders them, as on a real
//     path; Latency alone keeps order.
//   - Reordering: with probability Reorder the datagram is held back by
//     ReorderDelay more, so datagrams sent after it overtake it.
//   - Duplication: with probability Duplicate a second copy is delivered,
//     after its own independently drawn Latency ± Jitter.
//
// [Conn.Stats] counts each direction: datagrams and bytes offered, dropped
// (and of those, overflowed), duplicated, reordered, delayed and delivered.
// On the Recv side, datagrams that cross the link while ReadFrom does not
// keep up wait in a bounded queue ([Config.RecvQueueLen]) and overflow it.
//
// # Determinism
//
// Each direction draws from its own PCG generator (math/rand/v2) seeded from
// [Config.Seed], and takes exactly five draws per datagram in a fixed order
// whatever the outcome. So the loss, duplication, reordering and jitter
// decisions for the n-th datagram of a direction depend only on the seed
// and n: the same seed and the same sequence of datagrams give the same
// decisions, whatever the wall-clock timing. Only the bandwidth cap looks at
// the clock (a queue drains with time); under testing/synctest the clock is
// virtual, so even that replays exactly. [Config.Trace] (with a [Recorder])
// reports every decision, so a test can assert that a seed replays.
// Copies due at the same instant are delivered in the order they were
// offered.
//
// # Under testing/synctest
//
// Delayed datagrams are held in a heap served by one goroutine waiting on
// one timer, and every blocking read waits on channels, so inside a bubble
// the virtual clock jumps straight to the next delivery: a test of
// 10,000 datagrams at 80 ms ± 30 ms runs in a fraction of a second of real
// time, and timestamps observed by the receiver are exact. Create the
// [Network] and the Conns inside the bubble and close them before it ends:
//
//	synctest.Test(t, func(t *testing.T) {
//		n := netsim.NewNetwork()
//		a, _ := n.Listen("127.0.0.1:0")
//		b, _ := n.Listen("127.0.0.1:0")
//		link := netsim.Wrap(a, netsim.Config{
//			Send: netsim.Impairment{Loss: 0.3, Latency: 80 * time.Millisecond, Jitter: 30 * time.Millisecond},
//			Seed: 1,
//		})
//		defer link.Close()
//		defer b.Close()
//		link.WriteTo(msg, b.LocalAddr()) // b reads it 50..110 ms of virtual time later, or never
//	})
//
// Over real sockets the same code works with real time.
//
// # Lifecycle
//
// A Conn owns the conn it wraps: it reads it from a goroutine and closes it
// in [Conn.Close], which also drops the datagrams still in flight and waits
// for its goroutines. Close is safe to call twice; afterwards ReadFrom and
// WriteTo return errors wrapping net.ErrClosed. Deadlines are the Conn's
// own and fail with errors wrapping os.ErrDeadlineExceeded that are
// net.Error timeouts.
package netsim
