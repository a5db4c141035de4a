package jsonw

// Python's json module writes NaN and the infinities as these bare tokens,
// which are not JSON, and reads them back. The reference module's lines
// hold them wherever its arguments held such a float.
const (
	PyNaN    = "NaN"
	PyInf    = "Infinity"
	PyNegInf = "-Infinity"
)

// The JSON strings that stand for NaN and the infinities in what this
// module writes as strict JSON (AppendFloat, ReplaceNonFinite).
const (
	NaNString    = `"NaN"`
	InfString    = `"+Inf"`
	NegInfString = `"-Inf"`
)

// ReplaceNonFinite appends raw with each NaN, Infinity and -Infinity
// outside its strings replaced by nan, inf and negInf; the rest is copied as
// it is. raw must be valid as SkipValue checks it.
func ReplaceNonFinite(b, raw []byte, nan, inf, negInf string) []byte {
	start := 0
	for i := 0; i < len(raw); {
		var token, with string
		switch raw[i] {
		case '"':
			i = stringEnd(raw, i)
			continue
		case 'N':
			token, with = PyNaN, nan
		case 'I':
			token, with = PyInf, inf
		case '-':
			token, with = PyNegInf, negInf
		}
		if token == "" || len(raw)-i < len(token) || string(raw[i:i+len(token)]) != token {
			i++
			continue
		}
		b = append(b, raw[start:i]...)
		b = append(b, with...)
		i += len(token)
		start = i
	}
	return append(b, raw[start:]...)
}
