package span

// IdentifyingFields calls fn with each part of text that may identify a
// request: a run of letters and digits (bytes from 0x80 count as letters)
// at least two long that holds a digit (ids, order numbers, parts of
// UUIDs), until fn returns false. The agent hashes these into Vigil.Tokens
// and in-process correlation reads them from paths and keys: both must
// split alike.
func IdentifyingFields(text string, fn func(field string) bool) {
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && IsFieldByte(text[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 2 && HasDigit(text[start:i]) && !fn(text[start:i]) {
			return
		}
		start = -1
	}
}

// IsFieldByte reports whether c belongs inside a field.
func IsFieldByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// HasDigit reports whether s holds an ASCII digit.
func HasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
