package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// PlayerText turns an error of the lobby or game connection into a line for a player: what
// happened in the game's words, and what to try, never a Go error chain ("lobbyclient: dial
// 127.0.0.1:7200: dial tcp …: connection refused"). peer names the other end ("the lobby at
// 127.0.0.1:7000", "the game server"). The full error goes to the log, not the screen.
func PlayerText(err error, peer string) string {
	var (
		pe   *proto.Error
		dns  *net.DNSError
		rec  tls.RecordHeaderError
		unk  x509.UnknownAuthorityError
		host x509.HostnameError
		inv  x509.CertificateInvalidError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return lobbyErrorText(pe)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "Can't reach " + peer + " — is the server running?"
	case errors.As(err, &dns):
		return "Can't find the host " + dns.Name + " — check the address"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "No route to " + peer + " — check the address and your network"
	case errors.As(err, &rec):
		return peer + " does not speak TLS — try without -tls"
	case errors.As(err, &unk), errors.As(err, &inv):
		return peer + " has a certificate this client does not trust (see -tls-ca)"
	case errors.As(err, &host):
		return peer + " has a certificate for another name"
	case errors.Is(err, secure.ErrConnectionDenied):
		return peer + " refused the connection"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return peer + " did not answer in time"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return peer + " closed the connection"
	case errors.Is(err, ErrDenied):
		_, why, _ := strings.Cut(err.Error(), ErrDenied.Error()+": ")
		if why == "" {
			return peer + " refused to seat you"
		}
		return peer + " refused to seat you (" + why + ")"
	case errors.Is(err, errNoLobbyLink):
		return "Waiting for the lobby, which hands out the ticket back into the match"
	case errors.Is(err, ErrDisconnected):
		return "Lost the connection to " + peer
	}
	// Something rarer: its innermost words, without the package prefixes of the chain.
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "Trouble with " + peer + ": " + msg
}

// lobbyErrorText words the lobby's refusals.
func lobbyErrorText(pe *proto.Error) string {
	switch pe.Code {
	case proto.CodeNameTaken:
		return "That name is taken by a player online — pick another"
	case proto.CodeBadName:
		return "That name can't be used: " + pe.Message
	case proto.CodeServerFull, proto.CodeTooManyConns:
		return "The lobby is full — try again later"
	case proto.CodeRateLimited:
		return "Slow down: too many requests"
	case proto.CodeRoomNotFound:
		return "No room with that code"
	case proto.CodeRoomFull:
		return "That room is full"
	case proto.CodeRoomStarted:
		return "That room's match has already started"
	case proto.CodeNoServer:
		return "No game server is free right now — try again in a moment"
	case proto.CodeShuttingDown:
		return "The lobby is shutting down"
	case proto.CodeBadVersion:
		return "This client is too old or too new for the lobby: " + pe.Message
	case proto.CodeBadMode:
		return "The lobby does not offer that mode"
	}
	if pe.Message == "" {
		return "The lobby said " + pe.Code
	}
	return strings.ToUpper(pe.Message[:1]) + pe.Message[1:]
}
