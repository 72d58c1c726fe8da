package kcp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// Errors. Dial and Accept-side failures wrap them with context; test with
// errors.Is.
var (
	// ErrInvalidToken: the connect token given to [Dial] cannot be parsed.
	ErrInvalidToken = errors.New("kcp: invalid connect token")
	// ErrTokenExpired: the connect token's lifetime (expire − create) passed while [Dial]
	// was still trying its servers.
	ErrTokenExpired = errors.New("kcp: connect token expired")
	// ErrConnectTimedOut: no server in the token answered the hello in time.
	ErrConnectTimedOut = errors.New("kcp: connect timed out")
	// ErrDenied: the server refused the connection; errors.As the error to a
	// *[DeniedError] for the reason.
	ErrDenied = errors.New("kcp: connection denied")
	// ErrAuthFailed: a frame failed authentication (forged, tampered, replayed
	// or out of order). The session is dropped.
	ErrAuthFailed = errors.New("kcp: frame failed authentication")
	// ErrProtocol: the peer sent bytes that are not a valid frame where one was
	// expected. The session is dropped.
	ErrProtocol = errors.New("kcp: protocol violation")
	// ErrTimedOut: nothing arrived from the peer for the token's timeout.
	ErrTimedOut = errors.New("kcp: peer timed out")
	// ErrPeerClosed: [Session.Send] after the peer closed the session.
	// ([Session.Receive] returns io.EOF once the peer's messages are drained.)
	ErrPeerClosed = errors.New("kcp: peer closed the session")
	// ErrMessageTooLarge: a message longer than [MaxMessageBytes].
	ErrMessageTooLarge = errors.New("kcp: message too large")
)

// DenyReason says why a server refused a connection.
type DenyReason uint8

// Deny reasons, sent in a FrameDenied body.
const (
	DenyInvalidToken     DenyReason = 1 // the private token does not open under the server's key
	DenyTokenExpired     DenyReason = 2 // the token's expire timestamp has passed (server clock)
	DenyWrongProtocol    DenyReason = 3 // the token's protocol id is not the server's
	DenyWrongAddress     DenyReason = 4 // the server's public address is not in the token
	DenyTokenReused      DenyReason = 5 // the token was already used from another address
	DenyAlreadyConnected DenyReason = 6 // a session with this client id is open
	DenyServerFull       DenyReason = 7 // MaxClients sessions are open
	DenyVersion          DenyReason = 8 // the hello's ProtocolVersion is not ours
)

func (r DenyReason) String() string {
	switch r {
	case DenyInvalidToken:
		return "invalid token"
	case DenyTokenExpired:
		return "token expired"
	case DenyWrongProtocol:
		return "wrong protocol id"
	case DenyWrongAddress:
		return "server address not in token"
	case DenyTokenReused:
		return "token already used from another address"
	case DenyAlreadyConnected:
		return "client already connected"
	case DenyServerFull:
		return "server full"
	case DenyVersion:
		return "unsupported protocol version"
	}
	return fmt.Sprintf("DenyReason(%d)", uint8(r))
}

// DeniedError is the error [Dial] returns when a server sent a denial. It
// matches [ErrDenied] with errors.Is.
type DeniedError struct {
	Server string // the address that denied
	Reason DenyReason
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("kcp: connection denied by %s: %v", e.Server, e.Reason)
}

// Is reports whether target is ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// timeoutError is returned when a deadline passes. It is a net.Error with
// Timeout() true and matches os.ErrDeadlineExceeded with errors.Is.
type timeoutError struct{ op string }

func (e timeoutError) Error() string   { return "kcp: " + e.op + ": i/o timeout" }
func (timeoutError) Timeout() bool     { return true }
func (timeoutError) Temporary() bool   { return true }
func (timeoutError) Is(err error) bool { return err == os.ErrDeadlineExceeded }

var _ net.Error = timeoutError{}

// translate maps kcp-go's errors onto ours at the package boundary:
// io.ErrClosedPipe → net.ErrClosed, its timeoutError → a timeoutError.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("kcp: %s: %w", op, net.ErrClosed)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return timeoutError{op: op}
	}
	return fmt.Errorf("kcp: %s: %w", op, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
