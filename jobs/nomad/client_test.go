package nomad

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// testCA issues certificates for a TLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dockmr test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	must.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate and key in PEM for the DNS name, for server
// or client use.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	must.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	must.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// Connect honours Nomad's TLS environment: the CA that signed the
// server's certificate (NOMAD_CACERT), the server name it was issued for
// (NOMAD_TLS_SERVER_NAME), a client certificate the server requires
// (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY), and the token (NOMAD_TOKEN).
func TestConnect_HonoursNomadTLSAndTokenEnvironment(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		must.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	serverCert, serverKey := ca.issue(t, "server.global.nomad", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := ca.issue(t, "cli.global.nomad", x509.ExtKeyUsageClientAuth)
	pair, err := tls.X509KeyPair(serverCert, serverKey)
	must.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)

	var tokens []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens = append(tokens, r.Header.Get("X-Nomad-Token"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`"127.0.0.1:4647"`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()

	t.Setenv("NOMAD_ADDR", srv.URL)
	t.Setenv("NOMAD_TOKEN", "secret-token")
	t.Setenv("NOMAD_CACERT", write("ca.pem", ca.pem))
	t.Setenv("NOMAD_TLS_SERVER_NAME", "server.global.nomad")
	t.Setenv("NOMAD_CLIENT_CERT", write("cli.pem", clientCert))
	t.Setenv("NOMAD_CLIENT_KEY", write("cli-key.pem", clientKey))
	t.Setenv("NOMAD_SKIP_VERIFY", "")

	_, err = Connect()
	must.NoError(t, err)
	must.Eq(t, []string{"secret-token"}, tokens)

	// Each setting is needed: without it the same server is out of reach.
	for _, unset := range [][]string{{"NOMAD_CACERT"}, {"NOMAD_TLS_SERVER_NAME"}, {"NOMAD_CLIENT_CERT", "NOMAD_CLIENT_KEY"}} {
		t.Run("without "+strings.Join(unset, " "), func(t *testing.T) {
			for _, v := range unset {
				t.Setenv(v, "")
			}
			_, err := Connect()
			must.ErrorContains(t, err, "no Nomad agent answers at "+srv.URL)
		})
	}
}
