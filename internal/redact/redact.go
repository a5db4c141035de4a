// Package redact decides which argument keys name credentials and what is
// recorded in place of their values.
package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultKeys are the key patterns redacted unless configured otherwise.
var DefaultKeys = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie", "private_key"}

// Placeholder replaces a redacted value.
const Placeholder = "[REDACTED]"

// HMACPrefix starts a value replaced by its keyed hash.
const HMACPrefix = "hmac-sha256:"

// Redactor matches credential-like keys. A key matches a pattern when the
// pattern's words appear, in order and next to each other, among the key's
// words, compared case-insensitively. Words are split at '_', '-', '.',
// spaces and lower-to-upper case changes: "api_key" matches "apiKey",
// "X-Api-Key" and "openai_api_key"; "token" matches "access_token" and
// "refreshToken" but not "max_tokens". A nil *Redactor redacts nothing.
type Redactor struct {
	patterns [][]string
	key      []byte
	pool     sync.Pool // of hash.Hash, when key is set

	// seen remembers recent decisions: a tool's argument keys are few and
	// repeat on every call. Direct-mapped, so its size is fixed whatever
	// keys hostile input brings.
	seed maphash.Seed
	seen [cacheSlots]atomic.Pointer[decision]
}

// cacheSlots is the number of remembered key decisions; keys longer than
// maxCachedKey are matched every time.
const (
	cacheSlots   = 256
	maxCachedKey = 64
)

type decision struct {
	key       string
	sensitive bool
}

// New returns a Redactor for patterns (each split into words as keys are),
// replacing values by Placeholder, or by a keyed HMAC-SHA256 when hmacKey
// is not empty. It returns nil when patterns is empty.
func New(patterns []string, hmacKey []byte) *Redactor {
	r := &Redactor{key: append([]byte(nil), hmacKey...), seed: maphash.MakeSeed()}
	for _, p := range patterns {
		var words []string
		forWords(p, func(w string) bool { words = append(words, strings.ToLower(w)); return true })
		if len(words) > 0 {
			r.patterns = append(r.patterns, words)
		}
	}
	if len(r.patterns) == 0 {
		return nil
	}
	if len(r.key) > 0 {
		r.pool.New = func() any { return hmac.New(sha256.New, r.key) }
	}
	return r
}

// Sensitive reports whether key names a credential. It is safe for
// concurrent use; it allocates only when it meets a key it does not
// remember.
func (r *Redactor) Sensitive(key string) bool {
	if r == nil {
		return false
	}
	if len(key) > maxCachedKey {
		return r.match(key)
	}
	slot := &r.seen[maphash.String(r.seed, key)%cacheSlots]
	if d := slot.Load(); d != nil && d.key == key {
		return d.sensitive
	}
	sensitive := r.match(key)
	slot.Store(&decision{key: strings.Clone(key), sensitive: sensitive})
	return sensitive
}

// match is Sensitive without the cache.
func (r *Redactor) match(key string) bool {
	var words [16]string
	n := 0
	forWords(key, func(w string) bool {
		words[n] = w
		n++
		return n < len(words)
	})
	for _, p := range r.patterns {
		for start := 0; start+len(p) <= n; start++ {
			match := true
			for j, pw := range p {
				if !strings.EqualFold(words[start+j], pw) {
					match = false
					break
				}
			}
			if match {
				return true
			}
		}
	}
	return false
}

// AppendReplacement appends, as a JSON string, what is recorded instead of a
// value: Placeholder, or HMACPrefix and the hex HMAC-SHA256 of text (the
// string itself for a string value, its JSON for other values).
func (r *Redactor) AppendReplacement(b []byte, text []byte) []byte {
	if r == nil || len(r.key) == 0 {
		return append(b, `"`+Placeholder+`"`...)
	}
	h := r.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(text)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	r.pool.Put(h)
	b = append(b, `"`+HMACPrefix...)
	b = hex.AppendEncode(b, sum[:])
	return append(b, '"')
}

// forWords calls yield for each word of s until it returns false.
func forWords(s string, yield func(string) bool) {
	start := -1
	for i := 0; i <= len(s); i++ {
		boundary := i == len(s)
		split := false
		if !boundary {
			c := s[i]
			switch {
			case c == '_' || c == '-' || c == '.' || c == ' ' || c == '/' || c == ':':
				boundary = true
			case 'A' <= c && c <= 'Z' && i > 0 && 'a' <= s[i-1] && s[i-1] <= 'z':
				split = true
			}
		}
		if (boundary || split) && start >= 0 {
			if !yield(s[start:i]) {
				return
			}
			start = -1
		}
		if !boundary && start < 0 {
			start = i
		}
	}
}
