package netcode

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by [Endpoint.SendReliable] and [Endpoint.SendUnreliable].
var (
	// ErrMessageTooLarge reports a message above EndpointConfig.MaxMessageSize
	// (or, for reliable messages, one needing more fragments than the
	// reliable window holds).
	ErrMessageTooLarge = errors.New("netcode: message too large")
	// ErrWindowFull reports that the reliable window has no room for the
	// message's fragments until the peer acknowledges older ones.
	ErrWindowFull = errors.New("netcode: reliable window full")
	// ErrQueueFull reports that maxUnreliableQueue unreliable messages are
	// already waiting for the next Flush.
	ErrQueueFull = errors.New("netcode: unreliable send queue full")
)

// Defaults and limits for [EndpointConfig].
const (
	DefaultMaxPacketSize  = 1200
	DefaultMaxMessageSize = 64 << 10
	DefaultReliableWindow = 256
	DefaultLossWindow     = 4096

	minPacketSize      = 64
	maxPacketSize      = 65507 // largest UDP payload over IPv4
	maxReliableWindow  = 1 << 14
	sentBufferSize     = 1024
	recvBufferSize     = 256
	maxUnreliableQueue = 1024 // per direction, messages waiting
	maxStragglers      = 8
	reassemblyTimeout  = time.Second

	initialResendDelay = 250 * time.Millisecond
	minResendDelay     = 20 * time.Millisecond
	maxResendDelay     = 2 * time.Second
)

// EndpointConfig configures an [Endpoint]. Zero fields take the defaults;
// out-of-range values are clamped to the nearest workable value.
type EndpointConfig struct {
	// MaxPacketSize is the size of one packet including the header;
	// default 1200 (netcode.io's payload limit), clamped to 64..65507.
	MaxPacketSize int
	// MaxMessageSize is the largest message after reassembly; default 64 KiB,
	// at most MaxFragments fragments.
	MaxMessageSize int
	// ReliableWindow is how many reliable fragments may be unacknowledged at
	// once (a message that fits one packet is one fragment); default 256,
	// at most 16384. SendReliable returns ErrWindowFull beyond it.
	ReliableWindow int
	// LossWindow is how many of the most recent packets whose fate is
	// known the Loss estimate covers; default 4096.
	LossWindow int
}

func (c EndpointConfig) normalize() EndpointConfig {
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = DefaultMaxPacketSize
	}
	c.MaxPacketSize = min(max(c.MaxPacketSize, minPacketSize), maxPacketSize)
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	c.MaxMessageSize = min(c.MaxMessageSize, MaxFragments*fragmentPayload(c.MaxPacketSize))
	if c.ReliableWindow <= 0 {
		c.ReliableWindow = DefaultReliableWindow
	}
	c.ReliableWindow = min(c.ReliableWindow, maxReliableWindow)
	if c.LossWindow <= 0 {
		c.LossWindow = DefaultLossWindow
	}
	return c
}

// fragmentPayload is the data carried by one fragment chunk.
func fragmentPayload(packetSize int) int {
	return packetSize - PacketHeaderLen - maxChunkOverhead
}

// EndpointStats is a snapshot of an [Endpoint]'s estimators and counters.
type EndpointStats struct {
	// RTT and RTTVar are the RFC 6298 smoothed round trip and its mean
	// deviation (they drive resends); MeanRTT is a slower, steadier
	// average for display and game logic; MinRTT is the smallest sample.
	RTT, RTTVar, MeanRTT, MinRTT time.Duration
	// Loss is the fraction (0..1) of our packets that the peer did not
	// acknowledge, over the last LossWindow packets whose fate is known.
	// Ack-only packets are not counted (the peer does not ack them).
	Loss float64
	// SentBps, RecvBps and AckedBps are bytes per second of packets sent,
	// received, and sent-then-acknowledged, smoothed over 250 ms buckets.
	SentBps, RecvBps, AckedBps float64

	PacketsSent, PacketsReceived, PacketsAcked, PacketsLost uint64
	PacketsDuplicate, PacketsStale                          uint64 // received twice; too old to track
	PacketsDropped                                          uint64 // reliable fragments beyond our window: not acked
	ReliableSent, ReliableResent, ReliableDelivered         uint64 // fragments sent/resent; messages delivered
	UnreliableSent, UnreliableDelivered, UnreliableStale    uint64 // messages
	FragmentsEvicted                                        uint64 // partial unreliable messages given up
	ReliableInFlight                                        int    // unacknowledged reliable fragments
}

type sentPacket struct {
	at      time.Time
	size    int
	acked   bool
	ackOnly bool   // no messages: the peer need not ack it, so it is not counted for loss or RTT
	sampled bool   // an RTT sample was taken from it
	lost    uint64 // loss window ticket once counted lost, 0 otherwise
}

type recvPacket struct{}

type sendUnit struct {
	data         []byte
	index, count int // count 1: a whole message
	lastSent     time.Time
	sent, acked  bool
}

type recvUnit struct {
	data         []byte
	index, count int
}

// Endpoint is one peer's side of a connection above the packet layer: it
// numbers and acknowledges packets, estimates RTT, loss and bandwidth, and
// carries a reliable-ordered and an unreliable-sequenced message channel,
// fragmenting large messages. It does no I/O and reads no clock: packets
// come in through Receive, go out through the send callback of Flush, and
// time is passed in. It is not safe for concurrent use.
type Endpoint struct {
	cfg         EndpointConfig
	fragPayload int
	pkt         []byte
	err         error // sticky protocol error from the peer

	// packet layer
	seq        uint16
	sent       *SequenceBuffer[sentPacket]
	sentUnits  [][]uint16 // reliable ids per sent packet slot
	recv       *SequenceBuffer[recvPacket]
	ackPending bool
	// stragglers are packets (with messages) that arrived out of order,
	// older than the newest already received. Regular headers name the
	// newest, so the next Flush also sends one ack-only packet naming each
	// straggler (at most maxStragglers): one more than AckBitsLen behind
	// could not be acknowledged at all, and without a header naming it the
	// sender would take RTT samples only from packets that were not
	// overtaken, which favours short paths whenever jitter reorders.
	stragglers   [maxStragglers]uint16
	nStragglers  int
	largestAcked uint16
	hasAcked     bool
	lossCursor   uint16 // oldest sent packet whose fate is not yet counted
	rtt          RTTStats
	loss         lossWindow
	sentRate     rateEstimator
	recvRate     rateEstimator
	ackedRate    rateEstimator

	// reliable-ordered channel
	relNext     uint16 // next id to assign
	relOldest   uint16 // oldest unacknowledged id
	relSend     *SequenceBuffer[sendUnit]
	relRecvNext uint16 // next id to deliver
	relRecv     *SequenceBuffer[recvUnit]
	relReady    [][]byte
	readyBytes  int // bytes in relReady, bounded by readyLimit

	// unreliable-sequenced channel
	unrelSeq    uint16
	unrelQueue  []int  // end offsets in unrelBytes of the queued messages
	unrelBytes  []byte // queued unreliable messages back to back, reused
	unrelNewest uint16
	unrelHas    bool
	unrelReady  [][]byte // received messages; unrelNext is the next to hand out
	unrelNext   int
	unrelFree   [][]byte // buffers given back with RecycleUnreliable, for later messages
	reasm       reassembler

	stats EndpointStats
}

// NewEndpoint returns an Endpoint configured by cfg.
func NewEndpoint(cfg EndpointConfig) *Endpoint {
	cfg = cfg.normalize()
	e := &Endpoint{
		cfg:         cfg,
		fragPayload: fragmentPayload(cfg.MaxPacketSize),
		pkt:         make([]byte, 0, cfg.MaxPacketSize),
		sent:        NewSequenceBuffer[sentPacket](sentBufferSize),
		sentUnits:   make([][]uint16, sentBufferSize),
		recv:        NewSequenceBuffer[recvPacket](recvBufferSize),
		loss:        newLossWindow(cfg.LossWindow),
		relSend:     NewSequenceBuffer[sendUnit](cfg.ReliableWindow),
		relRecv:     NewSequenceBuffer[recvUnit](2 * cfg.ReliableWindow),
		reasm:       newReassembler(cfg.MaxMessageSize, defaultReassemblySlots, reassemblyTimeout),
	}
	return e
}

// Config returns the effective configuration (defaults filled in).
func (e *Endpoint) Config() EndpointConfig { return e.cfg }

// SendReliable queues a copy of msg on the reliable-ordered channel. The
// peer's NextReliable returns it exactly once, after every message sent
// before it. Messages longer than one packet are split into fragments, each
// taking one slot of the reliable window.
func (e *Endpoint) SendReliable(msg []byte) error {
	if len(msg) > e.cfg.MaxMessageSize {
		return fmt.Errorf("reliable message of %d bytes, limit %d: %w", len(msg), e.cfg.MaxMessageSize, ErrMessageTooLarge)
	}
	count := 1
	if 1+2+VarintLen(uint64(len(msg)))+len(msg) > e.cfg.MaxPacketSize-PacketHeaderLen {
		count = (len(msg) + e.fragPayload - 1) / e.fragPayload
	}
	if count > e.cfg.ReliableWindow {
		return fmt.Errorf("reliable message of %d fragments, window %d: %w", count, e.cfg.ReliableWindow, ErrMessageTooLarge)
	}
	inFlight := int(e.relNext - e.relOldest)
	if inFlight+count > e.cfg.ReliableWindow {
		return fmt.Errorf("reliable message of %d fragments with %d in flight: %w", count, inFlight, ErrWindowFull)
	}
	buf := make([]byte, len(msg))
	copy(buf, msg)
	for i := range count {
		data := buf
		if count > 1 {
			data = buf[i*e.fragPayload : min((i+1)*e.fragPayload, len(buf))]
		}
		u := e.relSend.Insert(e.relNext)
		*u = sendUnit{data: data, index: i, count: count}
		e.relNext++
	}
	return nil
}

// SendUnreliable queues a copy of msg for the next Flush only; it is never
// resent. The peer's NextUnreliable returns it unless it is lost, or a newer
// unreliable message got there first.
func (e *Endpoint) SendUnreliable(msg []byte) error {
	if len(msg) > e.cfg.MaxMessageSize {
		return fmt.Errorf("unreliable message of %d bytes, limit %d: %w", len(msg), e.cfg.MaxMessageSize, ErrMessageTooLarge)
	}
	if len(e.unrelQueue) >= maxUnreliableQueue {
		return ErrQueueFull
	}
	e.unrelBytes = append(e.unrelBytes, msg...)
	e.unrelQueue = append(e.unrelQueue, len(e.unrelBytes))
	return nil
}

// header returns the header for the next packet.
func (e *Endpoint) header() PacketHeader { return e.headerFor(e.recv.Sequence() - 1) }

// headerFor returns the header for the next packet acknowledging ack and
// the AckBitsLen sequences before it.
func (e *Endpoint) headerFor(ack uint16) PacketHeader {
	h := PacketHeader{Sequence: e.seq, Ack: ack}
	for i := range uint16(AckBitsLen) {
		if e.recv.Exists(h.Ack - 1 - i) {
			h.AckBits |= 1 << i
		}
	}
	return h
}

// packetWriter builds packets for Flush.
type packetWriter struct {
	e      *Endpoint
	now    time.Time
	send   func([]byte) error
	open   bool
	hdrLen int // the open packet's header length: a packet no longer than it is ack-only
	units  []uint16
	err    error
}

func (w *packetWriter) begin() {
	w.beginFor(w.e.header())
}

func (w *packetWriter) beginFor(h PacketHeader) {
	e := w.e
	e.pkt = h.Append(e.pkt[:0])
	w.hdrLen = len(e.pkt)
	slot := int(e.seq) & (sentBufferSize - 1)
	w.units = e.sentUnits[slot][:0]
	w.open = true
}

// add appends c, starting a new packet when the current one is full.
func (w *packetWriter) add(c *chunk) {
	if w.err != nil {
		return
	}
	if w.open && len(w.e.pkt)+c.len() > w.e.cfg.MaxPacketSize {
		w.finish()
	}
	if !w.open {
		w.begin()
	}
	w.e.pkt = c.append(w.e.pkt)
	if c.kind == chunkReliable || c.kind == chunkReliableFrag {
		w.units = append(w.units, c.id)
	}
}

// finish sends the open packet and records it.
func (w *packetWriter) finish() {
	if !w.open || w.err != nil {
		return
	}
	w.open = false
	e := w.e
	seq := e.seq
	e.seq++
	e.countLossBefore(seq - sentBufferSize + 1)
	p := e.sent.Insert(seq)
	*p = sentPacket{at: w.now, size: len(e.pkt), ackOnly: len(e.pkt) == w.hdrLen}
	e.sentUnits[int(seq)&(sentBufferSize-1)] = w.units
	e.ackPending = false
	e.stats.PacketsSent++
	e.sentRate.add(w.now, len(e.pkt))
	if err := w.send(e.pkt); err != nil {
		w.err = fmt.Errorf("send packet %d: %w", seq, err)
	}
}

// Flush writes every packet due at now through send: reliable fragments
// never sent or unacknowledged for longer than the resend delay (smoothed
// RTT + 4·RTTVar), all queued unreliable messages, and an ack-only packet
// if a packet carrying messages arrived since the last packet went out and
// nothing else is due. (Ack-only packets are acknowledged only by packets
// sent anyway, like QUIC's non-ack-eliciting packets.) The packet passed to
// send is only valid during the call, and send must not call back into the
// Endpoint. A send error stops the flush and is returned.
func (e *Endpoint) Flush(now time.Time, send func(packet []byte) error) error {
	w := packetWriter{e: e, now: now, send: send}
	resend := e.rtt.ResendDelay(initialResendDelay, minResendDelay, maxResendDelay)
	for id := e.relOldest; id != e.relNext && w.err == nil; id++ {
		u := e.relSend.Find(id)
		if u == nil || u.acked || (u.sent && now.Sub(u.lastSent) < resend) {
			continue
		}
		c := chunk{kind: chunkReliable, id: id, data: u.data}
		if u.count > 1 {
			c.kind, c.index, c.count = chunkReliableFrag, u.index, u.count
		}
		w.add(&c)
		if u.sent {
			e.stats.ReliableResent++
		} else {
			e.stats.ReliableSent++
		}
		u.sent, u.lastSent = true, now
	}
	start := 0
	for _, end := range e.unrelQueue {
		if w.err != nil {
			break
		}
		msg := e.unrelBytes[start:end:end]
		start = end
		seq := e.unrelSeq
		e.unrelSeq++
		e.stats.UnreliableSent++
		c := chunk{kind: chunkUnreliable, id: seq, data: msg}
		if c.len() <= e.cfg.MaxPacketSize-PacketHeaderLen {
			w.add(&c)
		} else {
			count := (len(msg) + e.fragPayload - 1) / e.fragPayload
			for j := range count {
				c := chunk{kind: chunkUnreliableFrag, id: seq, index: j, count: count, fragSize: e.fragPayload,
					data: msg[j*e.fragPayload : min((j+1)*e.fragPayload, len(msg))]}
				w.add(&c)
			}
		}
	}
	e.unrelQueue, e.unrelBytes = e.unrelQueue[:0], e.unrelBytes[:0]
	if e.ackPending && !w.open && w.err == nil {
		w.begin()
	}
	w.finish()
	for _, seq := range e.stragglers[:e.nStragglers] {
		if w.err == nil {
			w.beginFor(e.headerFor(seq))
			w.finish()
		}
	}
	e.nStragglers = 0
	return w.err
}

// Receive processes one packet from the peer. A malformed packet returns an
// error wrapping ErrMalformed, io.ErrUnexpectedEOF or ErrUnsupportedVersion
// and changes nothing; the caller counts and drops it.
func (e *Endpoint) Receive(now time.Time, packet []byte) error {
	if e.err != nil {
		return e.err
	}
	h, n, err := ParsePacketHeader(packet)
	if err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	// Validate the whole payload before changing any state.
	for rest := packet[n:]; len(rest) > 0; {
		c, m, err := parseChunk(rest)
		if err != nil {
			return fmt.Errorf("receive packet %d: %w", h.Sequence, err)
		}
		if err := e.checkChunk(&c); err != nil {
			return fmt.Errorf("receive packet %d: %w", h.Sequence, err)
		}
		if (c.kind == chunkReliable || c.kind == chunkReliableFrag) && !SequenceLessThan(c.id, e.relRecvNext) &&
			(int(c.id-e.relRecvNext) >= 2*e.cfg.ReliableWindow || e.readyBytes >= e.readyLimit()) {
			// Beyond our window (only a peer with a larger ReliableWindow
			// sends that), or the application is not draining NextReliable:
			// drop the whole packet unacknowledged, and the peer resends.
			e.stats.PacketsDropped++
			return nil
		}
		rest = rest[m:]
	}
	if e.recv.Exists(h.Sequence) {
		e.stats.PacketsDuplicate++
		return nil
	}
	if e.recv.Insert(h.Sequence) == nil {
		e.stats.PacketsStale++ // too old to ack; its messages are still used below
	}
	if len(packet) > n {
		e.ackPending = true // ack-only packets are not acked, or acks would ping-pong forever
		if newest := e.recv.Sequence() - 1; SequenceLessThan(h.Sequence, newest) && e.nStragglers < maxStragglers {
			e.stragglers[e.nStragglers] = h.Sequence
			e.nStragglers++
		}
	}
	e.stats.PacketsReceived++
	e.recvRate.add(now, len(packet))
	e.processAcks(now, h)

	var fragErr error
	for rest := packet[n:]; len(rest) > 0; {
		c, m, _ := parseChunk(rest)
		rest = rest[m:]
		switch c.kind {
		case chunkReliable, chunkReliableFrag:
			e.receiveReliable(&c)
		case chunkUnreliable:
			e.receiveUnreliable(c.id, c.data)
		case chunkUnreliableFrag:
			if e.unrelHas && !SequenceGreaterThan(c.id, e.unrelNewest) {
				e.stats.UnreliableStale++
				continue
			}
			msg, err := e.reasm.add(now, &c)
			if err != nil {
				// Only this message is affected: note it and go on.
				fragErr = fmt.Errorf("receive packet %d: %w", h.Sequence, err)
				continue
			}
			if msg != nil {
				e.receiveUnreliable(c.id, msg)
			}
		}
	}
	if err := e.deliverReliable(); err != nil {
		e.err = fmt.Errorf("receive packet %d: %w", h.Sequence, err)
		return e.err
	}
	return fragErr
}

// readyLimit bounds the bytes of delivered reliable messages waiting for
// NextReliable; past it new reliable data is refused (backpressure).
func (e *Endpoint) readyLimit() int {
	return 4*e.cfg.MaxMessageSize + e.cfg.ReliableWindow*e.cfg.MaxPacketSize
}

// checkChunk applies this endpoint's limits to a parsed chunk.
func (e *Endpoint) checkChunk(c *chunk) error {
	switch c.kind {
	case chunkReliable, chunkUnreliable:
		if len(c.data) > e.cfg.MaxMessageSize {
			return fmt.Errorf("message of %d bytes over %d: %w", len(c.data), e.cfg.MaxMessageSize, ErrMalformed)
		}
	case chunkReliableFrag:
		if c.count > e.cfg.ReliableWindow {
			return fmt.Errorf("reliable message of %d fragments, window %d: %w", c.count, e.cfg.ReliableWindow, ErrMalformed)
		}
	case chunkUnreliableFrag:
		if (c.count-1)*c.fragSize+1 > e.cfg.MaxMessageSize {
			return fmt.Errorf("fragmented message over %d bytes: %w", e.cfg.MaxMessageSize, ErrMalformed)
		}
	}
	return nil
}

// processAcks marks every packet h acknowledges, samples RTT from h.Ack
// when it is newly acknowledged, and frees acknowledged reliable fragments.
func (e *Endpoint) processAcks(now time.Time, h PacketHeader) {
	if p := e.sent.Find(h.Ack); p != nil && !p.ackOnly && !p.sampled {
		// One sample per packet, from the first header whose Ack names it:
		// the peer sent that header as soon as the packet arrived. Acks
		// carried only in the ack bits may have waited, and taking a sample
		// only when the packet is newly acknowledged (whichever header gets
		// here first) would favour the fastest of several acks and bias the
		// estimate low under jitter. Ack-only packets are acknowledged only
		// when the peer sends anyway, so they give no sample.
		p.sampled = true
		e.rtt.Update(now.Sub(p.at))
	}
	e.ackPacket(now, h.Ack)
	for i := range uint16(AckBitsLen) {
		if h.AckBits&(1<<i) != 0 {
			e.ackPacket(now, h.Ack-1-i)
		}
	}
	if e.sent.Exists(h.Ack) && (!e.hasAcked || SequenceGreaterThan(h.Ack, e.largestAcked)) {
		e.largestAcked, e.hasAcked = h.Ack, true
		e.countLossBefore(h.Ack - AckBitsLen)
	}
	for e.relOldest != e.relNext {
		u := e.relSend.Find(e.relOldest)
		if u != nil && !u.acked {
			break
		}
		e.relSend.Remove(e.relOldest)
		e.relOldest++
	}
}

func (e *Endpoint) ackPacket(now time.Time, seq uint16) {
	p := e.sent.Find(seq)
	if p == nil || p.acked {
		return
	}
	p.acked = true
	e.stats.PacketsAcked++
	if p.lost != 0 { // a late ack for a straggler: it was not lost after all
		e.loss.unlose(p.lost)
		e.stats.PacketsLost--
		p.lost = 0
	}
	e.ackedRate.add(now, p.size)
	for _, id := range e.sentUnits[int(seq)&(sentBufferSize-1)] {
		if u := e.relSend.Find(id); u != nil {
			u.acked = true
		}
	}
}

// countLossBefore decides the fate of sent packets older than seq: the peer
// can no longer acknowledge them (they fell out of its ack bits, or out of
// our sent buffer), so unacknowledged ones count as lost.
func (e *Endpoint) countLossBefore(seq uint16) {
	for SequenceLessThan(e.lossCursor, seq) && SequenceLessThan(e.lossCursor, e.seq) {
		if p := e.sent.Find(e.lossCursor); p != nil && !p.ackOnly {
			t := e.loss.add(!p.acked)
			if !p.acked {
				p.lost = t
				e.stats.PacketsLost++
			}
		}
		e.lossCursor++
	}
}

// receiveReliable stores one reliable fragment. The receive window is twice
// the send window: the sender's window starts at its oldest unacknowledged
// fragment, which can be up to ReliableWindow-1 fragments past the start of
// a message we still reassemble, and a fragment in a packet we acknowledge
// must never be dropped. (So the peer's ReliableWindow must not exceed
// ours.)
func (e *Endpoint) receiveReliable(c *chunk) {
	if SequenceLessThan(c.id, e.relRecvNext) || int(c.id-e.relRecvNext) >= 2*e.cfg.ReliableWindow || e.relRecv.Exists(c.id) {
		return // already delivered, beyond the window, or a duplicate
	}
	u := e.relRecv.Insert(c.id)
	if u == nil {
		return
	}
	data := make([]byte, len(c.data))
	copy(data, c.data)
	*u = recvUnit{data: data, index: c.index, count: max(c.count, 1)}
}

// deliverReliable moves complete messages at the head of the reliable
// receive window to the ready queue.
func (e *Endpoint) deliverReliable() error {
	for {
		u := e.relRecv.Find(e.relRecvNext)
		if u == nil {
			return nil
		}
		if u.count == 1 {
			e.relReady = append(e.relReady, u.data)
			e.readyBytes += len(u.data)
			e.relRecv.Remove(e.relRecvNext)
			e.relRecvNext++
			e.stats.ReliableDelivered++
			continue
		}
		if u.index != 0 {
			return fmt.Errorf("reliable message %d starts at fragment %d: %w", e.relRecvNext, u.index, ErrMalformed)
		}
		size := 0
		for i := range u.count {
			f := e.relRecv.Find(e.relRecvNext + uint16(i))
			if f == nil {
				return nil // not complete yet
			}
			if f.index != i || f.count != u.count {
				return fmt.Errorf("reliable message %d fragment %d disagrees: %w", e.relRecvNext, i, ErrMalformed)
			}
			size += len(f.data)
		}
		if size > e.cfg.MaxMessageSize {
			return fmt.Errorf("reliable message %d of %d bytes: %w", e.relRecvNext, size, ErrMalformed)
		}
		msg := make([]byte, 0, size)
		for range u.count {
			msg = append(msg, e.relRecv.Find(e.relRecvNext).data...)
			e.relRecv.Remove(e.relRecvNext)
			e.relRecvNext++
		}
		e.relReady = append(e.relReady, msg)
		e.readyBytes += len(msg)
		e.stats.ReliableDelivered++
	}
}

func (e *Endpoint) receiveUnreliable(seq uint16, data []byte) {
	if e.unrelHas && !SequenceGreaterThan(seq, e.unrelNewest) {
		e.stats.UnreliableStale++
		return
	}
	e.unrelNewest, e.unrelHas = seq, true
	e.reasm.evictOlder(seq)
	if len(e.unrelReady)-e.unrelNext >= maxUnreliableQueue {
		e.unrelReady[e.unrelNext] = nil
		e.unrelNext++ // drop the oldest waiting message
		e.stats.UnreliableStale++
	}
	if e.unrelNext > 0 && len(e.unrelReady) == cap(e.unrelReady) {
		// Move the waiting messages to the front rather than grow the array.
		n := copy(e.unrelReady, e.unrelReady[e.unrelNext:])
		clear(e.unrelReady[n:])
		e.unrelReady, e.unrelNext = e.unrelReady[:n], 0
	}
	var msg []byte
	if n := len(e.unrelFree); n > 0 {
		msg = e.unrelFree[n-1]
		e.unrelFree[n-1] = nil
		e.unrelFree = e.unrelFree[:n-1]
	}
	if cap(msg) < len(data) {
		msg = make([]byte, len(data))
	}
	msg = msg[:len(data)]
	copy(msg, data)
	e.unrelReady = append(e.unrelReady, msg)
	e.stats.UnreliableDelivered++
}

// maxUnreliableFree bounds the buffers RecycleUnreliable keeps.
const maxUnreliableFree = 8

// RecycleUnreliable gives a message returned by NextUnreliable back to the Endpoint, which
// reuses its buffer for a later message: a receiver that calls it for every message it is done
// with receives unreliable messages without allocating. The caller must not use msg afterwards.
func (e *Endpoint) RecycleUnreliable(msg []byte) {
	if len(e.unrelFree) < maxUnreliableFree && cap(msg) > 0 {
		e.unrelFree = append(e.unrelFree, msg[:0])
	}
}

// NextReliable returns the next reliable message in send order, each
// exactly once. The caller owns the slice. Drain it every tick: while more
// than 4·MaxMessageSize + ReliableWindow·MaxPacketSize bytes wait here,
// packets carrying new reliable data are dropped unacknowledged, so the
// peer holds back (its window fills) instead of this side buffering
// without bound.
func (e *Endpoint) NextReliable() ([]byte, bool) {
	if len(e.relReady) == 0 {
		return nil, false
	}
	m := e.relReady[0]
	e.readyBytes -= len(m)
	e.relReady[0] = nil
	e.relReady = e.relReady[1:]
	if len(e.relReady) == 0 {
		e.relReady = e.relReady[:0:0]
	}
	return m, true
}

// NextUnreliable returns the next unreliable message, oldest first among
// those received; a message older than one already received is dropped on
// arrival (newest wins). The caller owns the slice.
func (e *Endpoint) NextUnreliable() ([]byte, bool) {
	if e.unrelNext >= len(e.unrelReady) {
		return nil, false
	}
	m := e.unrelReady[e.unrelNext]
	e.unrelReady[e.unrelNext] = nil
	e.unrelNext++
	if e.unrelNext == len(e.unrelReady) {
		// Drained: start again at the front of the same array.
		e.unrelReady, e.unrelNext = e.unrelReady[:0], 0
	}
	return m, true
}

// Loss is Stats().Loss alone: the fraction of recent packets counted lost, without the copy
// and the rate computations of Stats (the server asks it of every client on every tick).
func (e *Endpoint) Loss() float64 { return e.loss.fraction() }

// Stats returns the current estimates and counters.
func (e *Endpoint) Stats() EndpointStats {
	s := e.stats
	s.RTT, s.RTTVar, s.MeanRTT, s.MinRTT = e.rtt.SmoothedRTT(), e.rtt.RTTVar(), e.rtt.MeanRTT(), e.rtt.MinRTT()
	s.Loss = e.loss.fraction()
	s.SentBps = e.sentRate.bytesPerSecond()
	s.RecvBps = e.recvRate.bytesPerSecond()
	s.AckedBps = e.ackedRate.bytesPerSecond()
	s.FragmentsEvicted = e.reasm.evicted
	s.ReliableInFlight = int(e.relNext - e.relOldest)
	return s
}
