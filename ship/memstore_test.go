package ship_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/toolaudit/toolaudit/ship"
)

// memStore is a Store in memory; down makes every call fail. It refuses
// to delete an object before its retention ends, by its clock.
type memStore struct {
	mu    sync.Mutex
	objs  map[string][]byte
	until map[string]time.Time
	puts  int
	down  bool
	now   func() time.Time
}

var _ ship.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{objs: map[string][]byte{}, until: map[string]time.Time{}, now: time.Now}
}

func (m *memStore) PutOnce(_ context.Context, key string, body []byte, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errors.New("connection refused")
	}
	m.puts++
	if _, ok := m.objs[key]; ok {
		return fmt.Errorf("put %s: %w", key, ship.ErrExists)
	}
	m.objs[key] = bytes.Clone(body)
	m.until[key] = until
	return nil
}

func (m *memStore) List(_ context.Context, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errors.New("connection refused")
	}
	var ks []string
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks, nil
}

func (m *memStore) Delete(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errors.New("connection refused")
	}
	for _, k := range keys {
		if m.now().Before(m.until[k]) {
			return fmt.Errorf("delete %s: AccessDenied: retained until %v", k, m.until[k])
		}
	}
	for _, k := range keys {
		delete(m.objs, k)
	}
	return nil
}

func (m *memStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errors.New("connection refused")
	}
	b, ok := m.objs[key]
	if !ok {
		return nil, os.ErrNotExist
	}
	return bytes.Clone(b), nil
}

func (m *memStore) setDown(down bool) { m.mu.Lock(); m.down = down; m.mu.Unlock() }

// concat returns, for each user/tool_audit/day/host, what a reader of the
// bucket reads (see ship.Object): the compacted object, then the pieces
// past it.
func (m *memStore) concat() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.objs))
	for k := range m.objs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	compacted := map[string]int64{}
	for _, k := range keys {
		if o, ok := ship.ParseKey(k); ok && o.Compacted {
			compacted[strings.TrimSuffix(k, ".jsonl")] = int64(len(m.objs[k]))
		}
	}
	out := map[string]string{}
	for _, k := range keys {
		o, ok := ship.ParseKey(k)
		if !ok {
			panic("not a shipper's key: " + k)
		}
		if o.Compacted {
			g := strings.TrimSuffix(k, ".jsonl")
			out[g] = string(m.objs[k]) + out[g]
			continue
		}
		g := k[:strings.LastIndexByte(k, '/')]
		if o.Offset >= compacted[g] {
			out[g] += string(m.objs[k])
		}
	}
	return out
}
