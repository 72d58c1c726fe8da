package arena

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/skirmish-go/skirmish/gameserver/sim"
)

// EventType is byte 0 of an encoded [Event].
type EventType uint8

// Event types.
const (
	EventSpawn    EventType = 1 // to the player who spawned
	EventHit      EventType = 2 // to the attacker (hit marker) and the victim (damage)
	EventKill     EventType = 3 // to everyone: the kill feed
	EventMatchEnd EventType = 4 // to everyone
)

// ErrBadEvent reports bytes that are not an Arena [Event].
var ErrBadEvent = errors.New("arena: bad event")

// Event is one of Arena's reliable game events, as carried in gameserver.Event.Data.
//
// Layout (little endian):
//
//	0     type
//	1-4   tick
//	Spawn:    5 slot, 6-7 x, 8-9 y (world units)            10 bytes
//	Hit:      5 attacker, 6 victim, 7 weapon, 8 damage, 9 health left   10 bytes
//	Kill:     5 killer, 6 victim, 7 weapon                  8 bytes
//	MatchEnd: 5 reason (sim.EndReason)                      6 bytes
type Event struct {
	Type   EventType
	Tick   uint32
	Player uint8 // spawned player, attacker or killer
	Victim uint8
	Weapon sim.Weapon
	Damage uint8
	Health uint8
	X, Y   uint16
	Reason sim.EndReason
}

// Len returns the encoded size of e, or 0 for an unknown type.
func (e *Event) Len() int {
	switch e.Type {
	case EventSpawn, EventHit:
		return 10
	case EventKill:
		return 8
	case EventMatchEnd:
		return 6
	}
	return 0
}

// Append appends the encoding of e to b.
func (e *Event) Append(b []byte) ([]byte, error) {
	if e.Len() == 0 {
		return b, fmt.Errorf("%w: type %d", ErrBadEvent, e.Type)
	}
	b = append(b, byte(e.Type))
	b = binary.LittleEndian.AppendUint32(b, e.Tick)
	switch e.Type {
	case EventSpawn:
		b = append(b, e.Player)
		b = binary.LittleEndian.AppendUint16(b, e.X)
		b = binary.LittleEndian.AppendUint16(b, e.Y)
	case EventHit:
		b = append(b, e.Player, e.Victim, byte(e.Weapon), e.Damage, e.Health)
	case EventKill:
		b = append(b, e.Player, e.Victim, byte(e.Weapon))
	case EventMatchEnd:
		b = append(b, byte(e.Reason))
	}
	return b, nil
}

// ParseEvent reads one Event from the start of b and returns the bytes consumed.
func ParseEvent(b []byte) (Event, int, error) {
	var e Event
	if len(b) < 1 {
		return e, 0, io.ErrUnexpectedEOF
	}
	e.Type = EventType(b[0])
	n := e.Len()
	if n == 0 {
		return Event{}, 0, fmt.Errorf("%w: type %d", ErrBadEvent, b[0])
	}
	if len(b) < n {
		return Event{}, 0, io.ErrUnexpectedEOF
	}
	e.Tick = binary.LittleEndian.Uint32(b[1:])
	switch e.Type {
	case EventSpawn:
		e.Player = b[5]
		e.X = binary.LittleEndian.Uint16(b[6:])
		e.Y = binary.LittleEndian.Uint16(b[8:])
	case EventHit:
		e.Player, e.Victim, e.Weapon, e.Damage, e.Health = b[5], b[6], sim.Weapon(b[7]), b[8], b[9]
	case EventKill:
		e.Player, e.Victim, e.Weapon = b[5], b[6], sim.Weapon(b[7])
	case EventMatchEnd:
		e.Reason = sim.EndReason(b[5])
	}
	if e.Player >= sim.MaxPlayers || e.Victim >= sim.MaxPlayers {
		return Event{}, 0, fmt.Errorf("%w: slot out of range", ErrBadEvent)
	}
	if (e.Type == EventHit || e.Type == EventKill) && e.Weapon != sim.WeaponLauncher && e.Weapon != sim.WeaponRail {
		return Event{}, 0, fmt.Errorf("%w: weapon %d", ErrBadEvent, e.Weapon)
	}
	if e.Type == EventMatchEnd && e.Reason != sim.EndScoreLimit && e.Reason != sim.EndTimeLimit {
		return Event{}, 0, fmt.Errorf("%w: end reason %d", ErrBadEvent, e.Reason)
	}
	return e, n, nil
}

// EventFromSim converts a sim event to its wire form.
func EventFromSim(se *sim.Event) Event {
	e := Event{Tick: se.Tick, Player: se.Player, Victim: se.Victim, Weapon: se.Weapon}
	switch se.Kind {
	case sim.EventSpawn:
		e.Type = EventSpawn
		e.X, e.Y = uint16(clampField(se.X, 0, 0xffff)), uint16(clampField(se.Y, 0, 0xffff))
	case sim.EventHit:
		e.Type = EventHit
		e.Damage, e.Health = uint8(clampField(se.Damage, 0, 255)), uint8(clampField(se.Health, 0, 255))
	case sim.EventKill:
		e.Type = EventKill
	case sim.EventMatchEnd:
		e.Type = EventMatchEnd
		e.Reason = se.Reason
	}
	return e
}
