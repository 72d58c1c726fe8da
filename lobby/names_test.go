package lobby

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Nicknames are compared as the bytes players sent: a line that is not UTF-8 is refused (it
// used to be read with U+FFFD for each bad byte, so "a\xffb" and "a\xfeb" were one name), and
// names with control, format or replacement characters are refused with bad_name.
func TestNamesRejectBadBytes(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := dialRaw(t, addr)
	r.write("{\"type\":\"hello\",\"id\":1,\"version\":1,\"name\":\"a\xffb\"}\n")
	m := r.read()
	assert.Equal(t, proto.TypeError, m.Type, "%+v", m)
	assert.Equal(t, proto.CodeBadUTF8, m.Code, "%+v", m)
	assert.Equal(t, uint64(1), m.ID, "the reply answers the request")
	r.write("{\"type\":\"hello\",\"id\":2,\"version\":1,\"name\":\"a\xfeb\"}\n")
	assert.Equal(t, proto.CodeBadUTF8, r.read().Code)
	// Lone surrogate escapes are valid JSON text, but decode to U+FFFD: refused as a name.
	r.write(`{"type":"hello","id":3,"version":1,"name":"\ud800"}` + "\n")
	assert.Equal(t, proto.CodeBadName, r.read().Code)
	r.next = 3

	for _, name := range []string{
		"\ufffd",        // so U+FFFD itself is no name
		"a\u200bda",     // a zero-width space: looks like "ada"
		"\u202eada",     // a bidirectional override
		"ada\u0000",     // NUL
		"\u001b[31mada", // ESC
		"ada\u0085",     // a C1 control
	} {
		m := r.expectErr(map[string]any{"type": "hello", "version": proto.ProtocolVersion, "name": name}, proto.CodeBadName)
		assert.Contains(t, m.Message, "UTF-8", "%q", name)
	}
	m = r.req(map[string]any{"type": "hello", "version": proto.ProtocolVersion, "name": "añ€😀 x"})
	assert.Equal(t, proto.TypeWelcome, m.Type, "%+v", m)
}

// Chat refuses control characters (NUL, ESC, newlines) with bad_text instead of forwarding
// them to every member's terminal; ordinary text still goes through.
func TestChatRejectsControlCharacters(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	host := helloRaw(t, addr, "host")
	guest := helloRaw(t, addr, "guest")
	room := host.req(map[string]any{"type": "room_create", "mode": "ffa", "private": true})
	require.Equal(t, proto.TypeRoom, room.Type, "%+v", room)
	joined := guest.req(map[string]any{"type": "room_join", "join_code": room.Room.JoinCode})
	require.Equal(t, proto.TypeRoom, joined.Type, "%+v", joined)

	for _, text := range []string{"hi\u0000there", "\u001b[2J\u001b[Hgg", "line\nbreak", "\u009b31m"} {
		host.expectErr(map[string]any{"type": "chat", "text": text}, proto.CodeBadText)
	}
	host.write("{\"type\":\"chat\",\"id\":99,\"text\":\"\xc0\xaf\"}\n")
	assert.Equal(t, proto.CodeBadUTF8, host.readType(proto.TypeError).Code)
	require.Equal(t, proto.TypeOK, host.req(map[string]any{"type": "chat", "text": "gl hf 😀"}).Type)
	got := guest.readType(proto.TypeChat)
	assert.Equal(t, "gl hf 😀", got.Text, "the first chat the guest hears is the valid one")
}
