package ship

// SetMaxLine sets the bound on a line's length for a test, and restores it
// at the test's end.
func SetMaxLine(t interface{ Cleanup(func()) }, n int64) {
	old := maxLine
	maxLine = n
	t.Cleanup(func() { maxLine = old })
}
