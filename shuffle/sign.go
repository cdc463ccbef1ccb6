package shuffle

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// SignatureHeader carries a request's signature.
const SignatureHeader = "X-Dockmr-Shuffle-Hmac"

// SecretSize is the size of a job's secret, in bytes.
const SecretSize = 32

// NewSecret returns a new random job secret, hex-encoded.
func NewSecret() (string, error) {
	var b [SecretSize]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("shuffle secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// CheckSecret checks that a secret is what NewSecret makes.
func CheckSecret(s string) error {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != SecretSize {
		return fmt.Errorf("shuffle secret: want %d hex-encoded bytes", SecretSize)
	}
	return nil
}

// Sign returns the signature of a request: the hex HMAC-SHA256 of its
// method and path (as sent, before any decoding) under the job's secret.
func Sign(secret, method, path string) string {
	mac := hmac.New(sha256.New, []byte(strings.TrimSpace(secret)))
	mac.Write([]byte(method))
	mac.Write([]byte{' '})
	mac.Write([]byte(path))
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is the request's signature under secret, in
// time that does not depend on where they differ.
func Verify(secret, method, path, sig string) bool {
	want := Sign(secret, method, path)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
}
