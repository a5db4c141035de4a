package redact

import (
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
