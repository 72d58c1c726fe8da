package lobby_test

import (
	"testing"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) lobby.Store { return lobby.NewMemoryStore() })
}
