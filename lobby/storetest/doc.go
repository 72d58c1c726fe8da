// Package storetest is a conformance suite for lobby.Store implementations: the memory store
// and the Redis store run the same tests, so either can back any number of lobby instances.
package storetest
