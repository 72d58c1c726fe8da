package secure

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Key is a 32-byte symmetric key: the private key shared by the lobby and the
// game servers, or one of the per-connection packet keys inside a connect token.
type Key [KeyBytes]byte

// GenerateKey returns a fresh random key from crypto/rand.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("secure: generate key: %w", err)
	}
	return k, nil
}

// ParseKey parses a key written as 64 hexadecimal digits, the form [Key.String] returns.
func ParseKey(hexString string) (Key, error) {
	var k Key
	if len(hexString) != 2*KeyBytes {
		return Key{}, fmt.Errorf("secure: parse key: want %d hex digits, got %d", 2*KeyBytes, len(hexString))
	}
	if _, err := hex.Decode(k[:], []byte(hexString)); err != nil {
		return Key{}, fmt.Errorf("secure: parse key: %w", err)
	}
	return k, nil
}

// String returns the key as 64 lower-case hexadecimal digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }
