package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers set on every delivery.
const (
	HeaderDelivery  = "X-Vigil-Delivery"
	HeaderTimestamp = "X-Vigil-Timestamp"
	HeaderSignature = "X-Vigil-Signature"
)

const signaturePrefix = "sha256="

// Errors returned by Verify, for receivers that want to tell them apart.
var (
	ErrNoSecret           = errors.New("no secret configured")
	ErrMissingSignature   = errors.New("missing signature")
	ErrMalformedSignature = errors.New("malformed signature")
	ErrSignatureMismatch  = errors.New("signature mismatch")
	ErrBadTimestamp       = errors.New("bad timestamp")
	ErrTimestampSkew      = errors.New("timestamp outside allowed skew")
)

// Sign returns the X-Vigil-Signature value for body sent at timestamp (unix
// seconds, as in X-Vigil-Timestamp). The timestamp is signed too so a
// captured request cannot be replayed later with a fresh timestamp.
func Sign(secret, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery as a receiver should: the signature header must be
// "sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">" under secret (compared in
// constant time), and when maxSkew > 0 the timestamp must be within maxSkew
// of now, which bounds replays.
func Verify(secret, timestamp string, body []byte, signatureHeader string, maxSkew time.Duration, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	if signatureHeader == "" {
		return ErrMissingSignature
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signatureHeader), signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: want prefix %q", ErrMalformedSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: want %d hex-encoded bytes", ErrMalformedSignature, sha256.Size)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrBadTimestamp, timestamp)
	}
	// Check the MAC before the clock so a forged request learns nothing
	// about our skew window.
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrSignatureMismatch
	}
	if maxSkew > 0 {
		skew := now.Sub(time.Unix(sec, 0))
		if skew < 0 {
			skew = -skew
		}
		if skew > maxSkew {
			return fmt.Errorf("%w: %s off, allowed %s", ErrTimestampSkew, skew.Truncate(time.Second), maxSkew)
		}
	}
	return nil
}
