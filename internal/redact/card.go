package redact

// Card numbers are found with code rather than a regexp: a regexp cannot
// check Luhn, and "13 to 19 digits in groups" would otherwise need
// backtracking to find the card inside "4111 1111 1111 1111 12/25".

const (
	minCardDigits = 13
	maxCardDigits = 19
)

// byteRange is a run of digits s[start:end].
type byteRange struct{ start, end int }

// cards replaces card numbers: 13 to 19 digits, in groups separated by a
// single space or dash, that pass the Luhn check. The groups of a run are
// tried as whole groups, earliest and then longest first; a plain digit run
// longer than 19 digits is an identifier, not a card, and is kept.
func (r *Redactor) cards(s string) string {
	var (
		b      []byte
		last   int
		n      int
		buf    [24]byteRange
		groups = buf[:0]
	)
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		groups = groups[:0]
		j := i
		for {
			start := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			groups = append(groups, byteRange{start, j})
			if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		for a := 0; a < len(groups); {
			best, total := -1, 0
			for z := a; z < len(groups); z++ {
				total += groups[z].end - groups[z].start
				if total > maxCardDigits {
					break
				}
				if total >= minCardDigits && luhn(s[groups[a].start:groups[z].end]) {
					best = z
				}
			}
			if best < 0 {
				a++
				continue
			}
			if b == nil {
				b = make([]byte, 0, len(s))
			}
			b = append(b, s[last:groups[a].start]...)
			b = append(b, Placeholder...)
			last = groups[best].end
			n++
			a = best + 1
		}
		i = j
	}
	if n == 0 {
		return s
	}
	r.card.add(n)
	return string(append(b, s[last:]...))
}

func isDigit(c byte) bool { return c-'0' <= 9 }

// luhn reports whether the digits of s (other bytes are skipped) pass the
// Luhn check; fewer than two digits never do.
func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 2 && sum%10 == 0
}
