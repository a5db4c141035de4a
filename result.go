package toolaudit

import "fmt"

// renderResult is the text recorded for a typed tool's output.
func renderResult[Out any](out Out) (text string) {
	defer func() {
		if recover() != nil {
			text = fmt.Sprintf("[unprintable %T]", out)
		}
	}()
	switch v := any(out).(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case fmt.Stringer:
		return v.String()
	case nil:
		return ""
	}
	raw, ok := marshal(out)
	if !ok {
		return fmt.Sprintf("[unencodable %T]", out)
	}
	return string(raw)
}
