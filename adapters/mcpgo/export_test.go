package mcpgo

// Remembered is the number of results the Auditor still holds as made by
// its middleware.
func (a *Auditor) Remembered() int {
	n := 0
	a.made.Range(func(any, any) bool { n++; return true })
	return n
}
