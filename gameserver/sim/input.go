package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// InputSize is the length of an encoded [Input].
const InputSize = 8

// MaxMove is the largest magnitude of [Input.MoveX] and [Input.MoveY]. Keyboards send -127,
// 0 or 127; sticks anything in between. A vector longer than MaxMove is scaled down to it.
const MaxMove = 127

// Input button bits in byte 0 of the encoding.
const (
	inputFire    = 1 << 0
	inputAltFire = 1 << 1
	inputKnown   = inputFire | inputAltFire
)

// ErrBadInput reports input bytes that are not an [Input].
var ErrBadInput = errors.New("sim: bad input")

// Input is one player's controls for one tick.
//
// Encoding (InputSize = 8 bytes, little endian):
//
//	0     buttons: bit 0 fire, bit 1 alt-fire, bits 2-7 zero
//	1     MoveX, int8 (-128 is read as -127)
//	2     MoveY, int8
//	3-4   Aim, uint16
//	5-6   ViewTick, uint16: the low 16 bits of the server tick the player was seeing
//	7     ViewFrac, uint8: how far (n/256) the view had interpolated towards ViewTick+1
type Input struct {
	MoveX, MoveY int8
	Aim          uint16 // see [Direction]
	Fire         bool   // primary: projectile launcher, held to repeat
	AltFire      bool   // secondary: hitscan rail with a cooldown, lag compensated
	// ViewTick and ViewFrac say which moment of the world the player was looking at when the
	// input was made; the server rewinds other players to it for hitscan (see [World.Step]).
	ViewTick uint16
	ViewFrac uint8
}

// AppendBinary appends the InputSize-byte encoding of in to b (encoding.BinaryAppender).
func (in Input) AppendBinary(b []byte) ([]byte, error) {
	var buttons byte
	if in.Fire {
		buttons |= inputFire
	}
	if in.AltFire {
		buttons |= inputAltFire
	}
	b = append(b, buttons, byte(in.MoveX), byte(in.MoveY))
	b = binary.LittleEndian.AppendUint16(b, in.Aim)
	b = binary.LittleEndian.AppendUint16(b, in.ViewTick)
	return append(b, in.ViewFrac), nil
}

// ParseInput reads an Input from the start of b and returns the bytes consumed.
func ParseInput(b []byte) (Input, int, error) {
	var in Input
	if len(b) < InputSize {
		return in, 0, io.ErrUnexpectedEOF
	}
	if b[0]&^inputKnown != 0 {
		return in, 0, fmt.Errorf("%w: unknown button bits %#x", ErrBadInput, b[0])
	}
	in.Fire = b[0]&inputFire != 0
	in.AltFire = b[0]&inputAltFire != 0
	in.MoveX = max(int8(b[1]), -MaxMove)
	in.MoveY = max(int8(b[2]), -MaxMove)
	in.Aim = binary.LittleEndian.Uint16(b[3:])
	in.ViewTick = binary.LittleEndian.Uint16(b[5:])
	in.ViewFrac = b[7]
	return in, InputSize, nil
}
