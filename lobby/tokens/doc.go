// Package tokens connects the lobby to netcode/secure: it turns the shared key and protocol id
// into a lobby.TokenSealer that seals netcode.io 1.02 connect tokens. It is a package of its
// own so the lobby core builds and tests without the crypto layer.
package tokens
