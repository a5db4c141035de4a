package main

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/width"
)

// Table cells are cut and padded by display width, the columns a terminal
// gives a character: two for East Asian wide characters and most emoji,
// none for combining marks and zero-width characters, one for the rest.

// runeWidth is the columns r takes on a terminal.
func runeWidth(r rune) int {
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// strWidth is the columns s takes on a terminal.
func strWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// cut shortens s to n columns, marking the cut with "…"; a cut string is
// padded to exactly n columns when a wide character did not fit.
func cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	if strWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	b.WriteString(strings.Repeat(" ", n-1-w))
	b.WriteString("…")
	return b.String()
}

// pad fills s with spaces to n columns.
func pad(s string, n int) string {
	if w := strWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// showJSON decodes, for display, the \uXXXX escapes of raw JSON text that
// stand for printable characters: Python's json.dumps writes "café" as
// "caf\u00e9". Escapes of quotes, backslashes, control and bidi characters
// and lone surrogates stay as written, so the text still reads as JSON and
// stays harmless; sanitize the result all the same.
func showJSON(raw string) string {
	if !strings.Contains(raw, `\u`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); {
		if raw[i] != '\\' || i+1 == len(raw) {
			b.WriteByte(raw[i])
			i++
			continue
		}
		if raw[i+1] == 'u' {
			if r, n := unescape(raw[i:]); n > 0 && r != '"' && r != '\\' && !unsafeRune(r) {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteString(raw[i : i+2]) // an escape kept whole: \\ is not the start of one
		i += 2
	}
	return b.String()
}

// unescape decodes the \uXXXX escape (or surrogate pair of two) s starts
// with; n is 0 when there is none.
func unescape(s string) (r rune, n int) {
	r = hex4(s)
	if r < 0 {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
		return 0, 0
	}
	lo := hex4(s[6:])
	if r = utf16.DecodeRune(r, lo); r == unicode.ReplacementChar {
		return 0, 0
	}
	return r, 12
}

// hex4 is the value of the four hex digits after s's `\u`, or -1.
func hex4(s string) rune {
	if len(s) < 6 {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | c
	}
	return r
}
