package tokens

import (
	"net/netip"
	"time"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// ProtocolID is Skirmish's netcode.io protocol id ("SKIRMISH").
const ProtocolID uint64 = 0x534b49524d495348

// Sealer returns a TokenSealer using key. expire ≤ 0 means secure's default (30 s); timeout
// is the connection timeout in seconds written into the token (0: secure's default, 5).
func Sealer(key secure.Key, protocolID uint64, expire time.Duration, timeout int32) lobby.TokenSealer {
	return func(clientID uint64, addr netip.AddrPort, userData [256]byte) ([]byte, error) {
		return secure.GenerateConnectToken(key, secure.TokenParams{
			ProtocolID: protocolID, ClientID: clientID, ServerAddrs: []netip.AddrPort{addr},
			ExpireAfter: expire, TimeoutSeconds: timeout, UserData: userData,
		})
	}
}
