package secure

import (
	"fmt"
	"net/netip"

	"golang.org/x/crypto/chacha20poly1305"
)

// PrivateToken is the opened private part of a connect token, for transports
// other than this package's (the KCP option in netcode/kcp) that verify
// tokens themselves.
type PrivateToken struct {
	ClientID          uint64
	TimeoutSeconds    int32 // -1 = no timeout
	ServerAddrs       []netip.AddrPort
	ClientToServerKey Key
	ServerToClientKey Key
	UserData          [UserDataBytes]byte
}

// OpenConnectToken opens the sealed private part of a connect token (1024
// bytes) with the servers' private key. protocolID, expireTimestamp and nonce
// are the public fields the client presents; they are authenticated, so a
// changed value fails to open. It checks neither expiry nor addresses: the
// caller does. Errors wrap [ErrInvalidToken].
func OpenConnectToken(key Key, protocolID, expireTimestamp uint64, nonce, sealed []byte) (PrivateToken, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return PrivateToken{}, fmt.Errorf("secure: open token: %w", err)
	}
	var ad [tokenADBytes]byte
	plain, err := openPrivateToken(aead, &ad, make([]byte, 0, PrivateTokenBytes), sealed, protocolID, expireTimestamp, nonce)
	if err != nil {
		return PrivateToken{}, err
	}
	var p privateToken
	if err := parsePrivateToken(plain, &p); err != nil {
		return PrivateToken{}, err
	}
	return PrivateToken{
		ClientID:          p.ClientID,
		TimeoutSeconds:    p.TimeoutSeconds,
		ServerAddrs:       append([]netip.AddrPort(nil), p.Addrs[:p.NumAddrs]...),
		ClientToServerKey: p.ClientToServerKey,
		ServerToClientKey: p.ServerToClientKey,
		UserData:          p.UserData,
	}, nil
}
