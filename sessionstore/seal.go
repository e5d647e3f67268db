package sessionstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// MinSecretBytes is the shortest secret accepted.
const MinSecretBytes = 32

// hkdfInfo binds the derived key to this use, so that the same secret used
// elsewhere yields another key.
const hkdfInfo = "insforge-mcp session credentials v1"

// sealVersion is the first byte of a sealed value.
const sealVersion = 1

// sealer encrypts a session's credentials with AES-256-GCM under a key
// derived from the operator's secret. Older secrets open what they sealed
// (rotation), but only the first seals.
type sealer struct {
	aeads []cipher.AEAD // aeads[0] is current
	// tag keys the HMAC that names an API key in Redis (rate counts).
	tag []byte
}

// ParseSecrets reads secrets, one a line (the first is current, the others
// only decrypt), skipping blank lines. Each must be at least MinSecretBytes.
func ParseSecrets(text string) ([]string, error) {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) < MinSecretBytes {
			return nil, fmt.Errorf("secret on line %d has %d bytes; a session secret needs at least %d (for example: openssl rand -base64 48)", i+1, len(line), MinSecretBytes)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, errors.New("no session secret given")
	}
	return out, nil
}

func newSealer(secrets []string) (*sealer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("a session store needs a session secret (INSFORGE_SESSION_SECRET or --session-secret-file)")
	}
	s := &sealer{}
	for _, secret := range secrets {
		if len(secret) < MinSecretBytes {
			return nil, fmt.Errorf("a session secret needs at least %d bytes", MinSecretBytes)
		}
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, hkdfInfo, 32)
		if err != nil {
			return nil, fmt.Errorf("derive session key: %w", err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("session cipher: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session cipher: %w", err)
		}
		s.aeads = append(s.aeads, aead)
	}
	tag, err := hkdf.Key(sha256.New, []byte(secrets[0]), nil, "insforge-mcp key tag v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive tag key: %w", err)
	}
	s.tag = tag
	return s, nil
}

// seal encrypts plain for the session id: version byte, nonce, ciphertext.
func (s *sealer) seal(plain []byte, id string) []byte {
	a := s.aeads[0]
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plain)+a.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never happens on supported platforms
	}
	return a.Seal(out, out[1:1+a.NonceSize()], plain, aad(id))
}

// errUnsealable means that no secret opens a value: tampered, sealed under
// another session id, or under a secret no longer configured.
var errUnsealable = errors.New("session entry cannot be decrypted")

// open decrypts what seal produced for the same session id, trying the
// current secret, then the older ones.
func (s *sealer) open(sealed []byte, id string) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != sealVersion {
		return nil, errUnsealable
	}
	for _, a := range s.aeads {
		n := a.NonceSize()
		if len(sealed) < 1+n+a.Overhead() {
			return nil, errUnsealable
		}
		if plain, err := a.Open(nil, sealed[1:1+n], sealed[1+n:], aad(id)); err == nil {
			return plain, nil
		}
	}
	return nil, errUnsealable
}

// aad is the associated data: the session id, so that an entry copied to
// another session does not open there.
func aad(id string) []byte { return []byte("insforge-mcp session\x00" + id) }
