package redact

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSensitive(t *testing.T) {
	r := New(DefaultKeys, nil)
	for _, k := range []string{"password", "PASSWORD", "db_password", "passwordHash", "passwd", "client_secret", "secretKey",
		"token", "access_token", "refreshToken", "api_key", "apiKey", "X-Api-Key", "openai_api_key", "APIKEY", "apikey",
		"Authorization", "proxy-authorization", "cookie", "Set-Cookie", "private_key", "privateKey", "ssh.private.key"} {
		assert.True(t, r.Sensitive(k), k)
	}
	for _, k := range []string{"max_tokens", "query", "passage", "keyword", "key", "api", "cookies_enabled_count", "private", "secretary", ""} {
		assert.False(t, r.Sensitive(k), k)
	}
	assert.False(t, (*Redactor)(nil).Sensitive("password"))
	assert.Nil(t, New(nil, nil))
	custom := New([]string{"ssn"}, nil)
	assert.True(t, custom.Sensitive("user_ssn"))
	assert.False(t, custom.Sensitive("password"))
}

func TestReplacement(t *testing.T) {
	assert.Equal(t, `"[REDACTED]"`, string(New(DefaultKeys, nil).AppendReplacement(nil, []byte("hunter2"))))
	h := New(DefaultKeys, []byte("k"))
	a := string(h.AppendReplacement(nil, []byte("hunter2")))
	assert.Equal(t, a, string(h.AppendReplacement(nil, []byte("hunter2"))), "equal secrets correlate")
	assert.NotEqual(t, a, string(h.AppendReplacement(nil, []byte("hunter3"))))
	// HMAC-SHA256("k", "hunter2"), as Python's hmac module computes it
	assert.Equal(t, `"hmac-sha256:`+"0cd9cde64b418f83ab6358d5fa0fb2b0264ba58b97196e7a99d4b6317f0169c5"+`"`, a)
}

// TestSensitiveRemembers checks that remembered decisions stay right when
// many keys compete for the cache's slots, from many goroutines.
func TestSensitiveRemembers(t *testing.T) {
	r := New(DefaultKeys, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprintf("field%d_%d", g, i)
				if i%3 == 0 {
					k += "_token"
				}
				for range 2 {
					if got := r.Sensitive(k); got != (i%3 == 0) {
						t.Errorf("Sensitive(%q) = %v", k, got)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	long := strings.Repeat("x", maxCachedKey) + "_password"
	assert.True(t, r.Sensitive(long))
	assert.True(t, r.Sensitive(long), "long keys are matched every time")
}

// BenchmarkSensitive checks two typical keys, remembered; the baseline
// matches them without the cache.
func BenchmarkSensitive(b *testing.B) {
	r := New(DefaultKeys, nil)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			r.Sensitive("query")
			r.Sensitive("limit")
		}
	})
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			r.match("query")
			r.match("limit")
		}
	})
}
