package lobby

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// validName reports whether n may name a player, room or game server: 1..max bytes of UTF-8
// without control characters (C0, DEL, C1), format characters (zero-width spaces and joiners,
// bidirectional overrides: they make two names look alike or text run backwards), whitespace
// other than the space, or U+FFFD, which is what a decoder makes of bytes that are not
// UTF-8 and of lone surrogate escapes ("\ud800" and "\udc00" would be one name).
func validName(n string, max int) bool {
	if n == "" || len(n) > max || !utf8.ValidString(n) {
		return false
	}
	for _, r := range n {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) && r != ' ' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// validChat reports whether text may be said in a room: 1..MaxChatLen bytes of UTF-8 without
// control characters (NUL, ESC and the rest of C0, DEL, C1, including newlines and tabs),
// which would reach other players' terminals and logs as they are.
func validChat(text string) bool {
	if text == "" || len(text) > proto.MaxChatLen || !utf8.ValidString(text) {
		return false
	}
	for _, r := range text {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func (c *conn) playerHello(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if !validName(m.Name, proto.MaxNameLen) {
		c.replyErr(m.ID, proto.CodeBadName, fmt.Sprintf("nickname must be 1..%d bytes of UTF-8 without control, format or replacement characters", proto.MaxNameLen))
		return false
	}
	ok, err := s.store.ClaimName(ctx, m.Name, c.id, 2*s.cfg.IdleTimeout)
	if err != nil {
		return c.internal(m.ID, "claim name", err)
	}
	if !ok {
		if ok, err = c.takeOverName(ctx, m.Name); err != nil {
			return c.internal(m.ID, "claim name", err)
		}
	}
	if !ok {
		c.replyErr(m.ID, proto.CodeNameTaken, "nickname in use")
		return false
	}
	id, err := s.assignID(ctx, c, m.Name)
	if err != nil {
		_ = s.store.ReleaseName(ctx, m.Name, c.id)
		return c.internal(m.ID, "player id", err)
	}
	// The name was free or taken over, so no other session of this player lives: a ticket
	// still queued is an earlier session's (its lobby died or its cleanup failed).
	if _, err := s.store.Dequeue(ctx, id); err != nil {
		s.unassignID(c)
		_ = s.store.ReleaseName(ctx, m.Name, c.id)
		return c.internal(m.ID, "dequeue old ticket", err)
	}
	c.role, c.renamed = proto.RolePlayer, time.Now()
	r := s.rating(ctx, id)
	matchID, _ := s.store.PlayerMatch(ctx, id) // a running match to reconnect to, if any
	c.send(&proto.Message{Type: proto.TypeWelcome, ID: m.ID, Version: proto.ProtocolVersion, Role: proto.RolePlayer,
		Name: c.name, PlayerID: id, MatchID: matchID, Rating: &proto.Rating{Rating: r.Rating, RD: r.RD, Volatility: r.Volatility}})
	return false
}

// takeOverName claims name from a session of a dead lobby instance (its lease ran out).
func (c *conn) takeOverName(ctx context.Context, name string) (bool, error) {
	s := c.s
	owner, err := s.store.NameOwner(ctx, name)
	if errors.Is(err, ErrNotFound) { // released meanwhile
		return s.store.ClaimName(ctx, name, c.id, 2*s.cfg.IdleTimeout)
	}
	if err != nil {
		return false, err
	}
	inst := instanceOf(owner)
	if inst == s.cfg.Instance {
		return false, nil
	}
	alive, err := s.instanceAlive(ctx, inst, nil)
	if err != nil || alive {
		return false, err
	}
	s.log.Info("lobby: taking over nickname from a dead lobby instance", "player", name, "instance", inst)
	if err := s.store.ReleaseName(ctx, name, owner); err != nil {
		return false, err
	}
	return s.store.ClaimName(ctx, name, c.id, 2*s.cfg.IdleTimeout)
}

// internal logs err and tells the peer to retry later; the connection stays.
func (c *conn) internal(id uint64, what string, err error) bool {
	c.s.log.Error("lobby: "+what, "conn", c.id, "err", err)
	c.s.storeFailed(err)
	c.replyErr(id, proto.CodeInternal, what+" failed")
	return false
}

func (s *Server) rating(ctx context.Context, id uint64) glicko.Rating {
	rs, err := s.store.Ratings(ctx, []uint64{id})
	if r, ok := rs[id]; err == nil && ok {
		return r
	}
	return glicko.New()
}

func (c *conn) ok(id uint64) { c.send(&proto.Message{Type: proto.TypeOK, ID: id}) }

func (c *conn) handlePlayer(ctx context.Context, m *proto.Message) bool {
	s := c.s
	switch m.Type {
	case proto.TypeHello:
		c.replyErr(m.ID, proto.CodeAlreadyHello, "hello once")
	case proto.TypePresence:
		p, err := s.store.Presence(ctx)
		if err != nil {
			return c.internal(m.ID, "presence", err)
		}
		c.send(&proto.Message{Type: proto.TypePresence, ID: m.ID, Online: p.Online, Queued: p.Queued,
			Matches: p.Matches, Servers: p.Servers})
	case proto.TypeModes:
		return c.listModes(ctx, m)
	case proto.TypeQueue:
		return c.queue(ctx, m)
	case proto.TypeCancelQueue:
		ok, err := s.store.Dequeue(ctx, c.playerID)
		if err != nil {
			return c.internal(m.ID, "dequeue", err)
		}
		if !ok {
			c.replyErr(m.ID, proto.CodeNotQueued, "not in a queue")
			return false
		}
		c.ok(m.ID)
	case proto.TypeRoomCreate:
		return c.roomCreate(ctx, m)
	case proto.TypeRoomList:
		rooms, err := s.store.ListRooms(ctx, m.Mode, s.cfg.MaxRooms)
		if err != nil {
			return c.internal(m.ID, "list rooms", err)
		}
		out := &proto.Message{Type: proto.TypeRooms, ID: m.ID, Rooms: []proto.Room{}}
		for i := range rooms {
			out.Rooms = append(out.Rooms, *rooms[i].Wire(false))
		}
		c.send(out)
	case proto.TypeRoomJoin:
		return c.roomJoin(ctx, m)
	case proto.TypeRoomLeave:
		if c.room == "" {
			c.replyErr(m.ID, proto.CodeNotInRoom, "not in a room")
			return false
		}
		c.leaveRoom(ctx)
		c.ok(m.ID)
	case proto.TypeRoomReady:
		return c.roomReady(ctx, m)
	case proto.TypeRoomStart:
		return c.roomStart(ctx, m)
	case proto.TypeChat:
		if c.room == "" {
			c.replyErr(m.ID, proto.CodeNotInRoom, "chat goes to your room; join one")
			return false
		}
		if !validChat(m.Text) {
			c.replyErr(m.ID, proto.CodeBadText, fmt.Sprintf("text must be 1..%d bytes of UTF-8 without control characters", proto.MaxChatLen))
			return false
		}
		s.publish(ctx, Event{Room: c.room, Msg: proto.Message{Type: proto.TypeChat, RoomID: c.room, From: c.name, Text: m.Text}})
		c.ok(m.ID)
	case proto.TypeReconnect:
		return c.reconnect(ctx, m)
	case proto.TypeLiveList:
		return c.liveList(ctx, m)
	case proto.TypeSpectate:
		return c.spectate(ctx, m)
	case proto.TypeHistory:
		h, err := s.store.History(ctx, c.playerID, 20)
		if err != nil {
			return c.internal(m.ID, "history", err)
		}
		r := s.rating(ctx, c.playerID)
		c.send(&proto.Message{Type: proto.TypeHistory, ID: m.ID, History: h,
			Rating: &proto.Rating{Rating: r.Rating, RD: r.RD, Volatility: r.Volatility}})
	default:
		c.replyErr(m.ID, proto.CodeUnknownType, "unknown type "+fmt.Sprintf("%q", m.Type))
	}
	return false
}

// busy reports (and replies) whether the player is in a match or a room; rooms can be ignored.
func (c *conn) busy(ctx context.Context, id uint64, checkRoom bool) bool {
	if checkRoom && c.room != "" {
		c.replyErr(id, proto.CodeInRoom, "leave your room first")
		return true
	}
	if mid, err := c.s.store.PlayerMatch(ctx, c.playerID); err == nil {
		c.replyErr(id, proto.CodeInMatch, "your match "+mid+" is running; reconnect to it")
		return true
	}
	return false
}

func (c *conn) queue(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if _, code, err := s.findMode(ctx, m.Mode); err != nil {
		return c.modeErr(m.ID, code, err)
	}
	if len(m.Region) > proto.MaxModeLen {
		c.replyErr(m.ID, proto.CodeBadRequest, "region too long")
		return false
	}
	if c.busy(ctx, m.ID, true) {
		return false
	}
	r := s.rating(ctx, c.playerID)
	err := s.store.Enqueue(ctx, QueueTicket{PlayerID: c.playerID, Name: c.name, Mode: m.Mode, Region: m.Region,
		Rating: r.Rating, RD: r.RD, Since: s.cfg.Now(), Owner: c.id})
	if errors.Is(err, ErrExists) {
		c.replyErr(m.ID, proto.CodeAlreadyQueued, "already queued")
		return false
	}
	if err != nil {
		return c.internal(m.ID, "enqueue", err)
	}
	c.send(&proto.Message{Type: proto.TypeQueued, ID: m.ID, Mode: m.Mode, Region: m.Region})
	return false
}

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no I, O, 0, 1

func joinCode() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

func (c *conn) roomCreate(ctx context.Context, m *proto.Message) bool {
	s := c.s
	mode, code, err := s.findMode(ctx, m.Mode)
	if err != nil {
		return c.modeErr(m.ID, code, err)
	}
	if len(m.Name) > proto.MaxNameLen || len(m.Region) > proto.MaxModeLen || (m.Name != "" && !validName(m.Name, proto.MaxNameLen)) {
		c.replyErr(m.ID, proto.CodeBadRequest, "room name or region invalid")
		return false
	}
	if c.busy(ctx, m.ID, true) {
		return false
	}
	if ok, _ := s.store.Dequeue(ctx, c.playerID); ok {
		c.s.log.Debug("lobby: left queue for a room", "player", c.name)
	}
	maxP := m.MaxPlayers
	if maxP == 0 || maxP > mode.MaxPlayers {
		maxP = mode.MaxPlayers
	}
	if maxP < mode.MinPlayers {
		maxP = mode.MinPlayers
	}
	r := Room{ID: randomHex(4), Name: m.Name, Mode: m.Mode, Region: m.Region, Host: c.playerID, Private: m.Private,
		MaxPlayers: maxP, Created: s.cfg.Now(), Members: []RoomMember{{PlayerID: c.playerID, Name: c.name}}}
	for range 5 {
		if r.Private {
			r.JoinCode = joinCode()
		}
		if err = s.store.CreateRoom(ctx, r); !errors.Is(err, ErrExists) {
			break
		}
		r.ID = randomHex(4)
	}
	if err != nil {
		return c.internal(m.ID, "create room", err)
	}
	s.setRoom(c, r.ID)
	c.send(&proto.Message{Type: proto.TypeRoom, ID: m.ID, Room: r.Wire(true)})
	return false
}

// refuse is an error that becomes an error reply with its code; UpdateRoom callbacks return
// it instead of replying, since a store may run them more than once.
func refuse(code, msg string) error { return &proto.Error{Code: code, Message: msg} }

// replyRefused sends the reply for a refuse error and reports whether err was one.
func (c *conn) replyRefused(id uint64, err error) bool {
	var pe *proto.Error
	if errors.As(err, &pe) {
		c.replyErr(id, pe.Code, pe.Message)
		return true
	}
	return false
}

func (c *conn) roomJoin(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if c.busy(ctx, m.ID, true) {
		return false
	}
	var r Room
	var err error
	switch {
	case m.JoinCode != "":
		r, err = s.store.RoomByCode(ctx, m.JoinCode)
	case m.RoomID != "":
		r, err = s.store.Room(ctx, m.RoomID)
		if err == nil && r.Private {
			err = ErrNotFound // private rooms are joined by code only
		}
	default:
		c.replyErr(m.ID, proto.CodeBadRequest, "room_id or join_code required")
		return false
	}
	if errors.Is(err, ErrNotFound) {
		c.replyErr(m.ID, proto.CodeRoomNotFound, "no such room")
		return false
	}
	if err != nil {
		return c.internal(m.ID, "find room", err)
	}
	r, err = s.store.UpdateRoom(ctx, r.ID, func(r *Room) error {
		switch {
		case r.MatchID != "":
			return refuse(proto.CodeRoomStarted, "the room's match is running")
		case len(r.Members) >= r.MaxPlayers:
			return refuse(proto.CodeRoomFull, "room full")
		}
		r.Members = append(r.Members, RoomMember{PlayerID: c.playerID, Name: c.name})
		return nil
	})
	switch {
	case c.replyRefused(m.ID, err):
		return false
	case errors.Is(err, ErrNotFound):
		c.replyErr(m.ID, proto.CodeRoomNotFound, "no such room")
		return false
	case err != nil:
		return c.internal(m.ID, "join room", err)
	}
	_, _ = s.store.Dequeue(ctx, c.playerID)
	// The others hear of the newcomer first (the joiner gets the room as its reply, not twice);
	// the joiner is a room member before its reply leaves, so anything said in the room after
	// the reply reaches it.
	s.publish(ctx, Event{Room: r.ID, Msg: proto.Message{Type: proto.TypeRoom, Room: r.Wire(true)}})
	s.setRoom(c, r.ID)
	c.send(&proto.Message{Type: proto.TypeRoom, ID: m.ID, Room: r.Wire(true)})
	return false
}

// leaveRoom takes the player out of its room, passing host on, and tells the others.
func (c *conn) leaveRoom(ctx context.Context) {
	s := c.s
	id := c.room
	if id == "" {
		return
	}
	s.setRoom(c, "")
	r, err := s.store.UpdateRoom(ctx, id, func(r *Room) error {
		for i, mem := range r.Members {
			if mem.PlayerID == c.playerID {
				r.Members = append(r.Members[:i], r.Members[i+1:]...)
				break
			}
		}
		if r.Host == c.playerID && len(r.Members) > 0 {
			r.Host = r.Members[0].PlayerID
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.Warn("lobby: leave room", "room", id, "err", err)
		}
		return
	}
	if len(r.Members) > 0 {
		s.publish(ctx, Event{Room: id, Msg: proto.Message{Type: proto.TypeRoom, Room: r.Wire(true)}})
	}
}

func (c *conn) roomReady(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if c.room == "" {
		c.replyErr(m.ID, proto.CodeNotInRoom, "not in a room")
		return false
	}
	r, err := s.store.UpdateRoom(ctx, c.room, func(r *Room) error {
		if r.MatchID != "" {
			return refuse(proto.CodeRoomStarted, "the room's match is running")
		}
		for i := range r.Members {
			if r.Members[i].PlayerID == c.playerID {
				r.Members[i].Ready = m.Ready
			}
		}
		return nil
	})
	if c.replyRefused(m.ID, err) {
		return false
	}
	if err != nil {
		return c.internal(m.ID, "ready", err)
	}
	c.ok(m.ID)
	s.publish(ctx, Event{Room: r.ID, Msg: proto.Message{Type: proto.TypeRoom, Room: r.Wire(true)}})
	mode, _, err := s.findMode(ctx, r.Mode)
	all := err == nil && len(r.Members) >= mode.MinPlayers
	for _, mem := range r.Members {
		all = all && mem.Ready
	}
	if all {
		if code, err := s.startRoom(ctx, r.ID, 0); err != nil && code != "" {
			s.publish(ctx, Event{Room: r.ID, Msg: *proto.ErrorMessage(0, code, "all ready, but the match could not start: "+err.Error())})
		}
	}
	return false
}

func (c *conn) roomStart(ctx context.Context, m *proto.Message) bool {
	if c.room == "" {
		c.replyErr(m.ID, proto.CodeNotInRoom, "not in a room")
		return false
	}
	code, err := c.s.startRoom(ctx, c.room, c.playerID)
	if code != "" {
		c.replyErr(m.ID, code, err.Error())
		return false
	}
	if err != nil {
		return c.internal(m.ID, "start room", err)
	}
	c.ok(m.ID)
	return false
}

func (c *conn) reconnect(ctx context.Context, m *proto.Message) bool {
	s := c.s
	match, err := s.store.Match(ctx, m.MatchID)
	if errors.Is(err, ErrNotFound) {
		c.replyErr(m.ID, proto.CodeNoMatch, "match not running")
		return false
	}
	if err != nil {
		return c.internal(m.ID, "find match", err)
	}
	for _, p := range match.Players {
		if p.PlayerID == c.playerID {
			mf, err := s.matchFound(&match, p)
			if err != nil {
				return c.internal(m.ID, "seal token", err)
			}
			mf.ID = m.ID
			c.send(mf)
			return false
		}
	}
	c.replyErr(m.ID, proto.CodeNoMatch, "not your match")
	return false
}
