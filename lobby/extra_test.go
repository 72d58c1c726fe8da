package lobby

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// TestMain fails the package when a test leaves one of our goroutines running.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && os.Getenv("SKIRMISH_DIALER_ADDR") == "" {
		if leaked := waitGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintln(os.Stderr, "leaked goroutines:\n"+leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitGoroutines waits (bounded) until no goroutine runs code of this module but the main
// test goroutine, and returns the stacks of those left.
func waitGoroutines(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "skirmish-go/skirmish") && !strings.Contains(g, "TestMain") &&
				!strings.Contains(g, "waitGoroutines") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling for exit, not synchronisation of test steps
	}
}

func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lobby"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}}}, pool
}

func TestTLS(t *testing.T) {
	cfg := testConfig()
	var pool *x509.CertPool
	cfg.TLSConfig, pool = selfSigned(t)
	_, addr := startLobby(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, &tls.Config{RootCAs: pool})
	require.NoError(t, err)
	defer c.Close()
	w, err := c.Hello(ctx, "ada")
	require.NoError(t, err)
	assert.Equal(t, "ada", w.Name)

	// Plain text to a TLS port is answered, in plain text, with tls_required, then closed.
	r := dialRaw(t, addr)
	r.write(`{"type":"ping","id":1}` + "\n")
	m := r.read()
	assert.Equal(t, proto.CodeTLSRequired, m.Code, "%+v", m)
	r.expectClosed()
}

// A TLS handshake to a lobby without TLS is answered at once with tls_not_enabled, which the
// client's TLS stack reports as a reply that is not TLS, instead of waiting for a line.
func TestTLSToPlainLobby(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := lobbyclient.Dial(ctx, addr, &tls.Config{InsecureSkipVerify: true})
	var notTLS tls.RecordHeaderError
	require.ErrorAs(t, err, &notTLS)
	assert.Equal(t, `{"typ`, string(notTLS.RecordHeader[:]))
	assert.NoError(t, ctx.Err(), "answered at once, not at the hello deadline")

	r := dialRaw(t, addr)
	r.write("\x16\x03\x01\x00\x05hello") // a handshake record, no newline
	assert.Equal(t, proto.CodeTLSNotEnabled, r.read().Code)
	r.expectClosed()
}

// Layering: the lobby builds without Ebiten (and without cgo).
func TestNoEbitenImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/skirmish-go/skirmish/lobby/...",
		"github.com/skirmish-go/skirmish/client/lobbyclient", "github.com/skirmish-go/skirmish/gameserver/lobbylink").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.NotContains(t, string(out), "ebiten")
}

func TestNicknameFreedOnDisconnect(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	r := helloRaw(t, addr, "ada")
	require.Equal(t, proto.TypeQueued, r.req(map[string]any{"type": "queue", "mode": "duel"}).Type)
	r.nc.Close()
	require.Eventually(t, func() bool {
		p, err := srv.store.Presence(context.Background())
		return err == nil && p.Online == 0 && p.Queued == 0
	}, waitFor, 5*time.Millisecond)
	helloRaw(t, addr, "ada")
}
