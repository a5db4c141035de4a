package exporter

import "os"

// KeptBytes is the capacity of the line buffers kept for the next batch.
func (e *Exporter) KeptBytes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.batch {
		n += cap(c.data)
	}
	return n
}

// DirtyFiles is the number of open files written since their last fsync.
func (e *Exporter) DirtyFiles() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for el := e.files.lru.Front(); el != nil; el = el.Next() {
		if el.Value.(*openFile).dirty {
			n++
		}
	}
	return n
}

// HoldLock holds the exporter's lock, as a write blocked on a slow disk
// does, until the returned function is called.
func (e *Exporter) HoldLock() (release func()) {
	e.mu.Lock()
	return e.mu.Unlock
}

// SetHookBeforeWrite sets testHookBeforeWrite until the test ends.
func SetHookBeforeWrite(t interface{ Cleanup(func()) }, hook func(*os.File)) {
	testHookBeforeWrite = hook
	t.Cleanup(func() { testHookBeforeWrite = nil })
}
