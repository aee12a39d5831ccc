package monitor

import (
	"math"
	"reflect"
	"strings"
)

// structFields are the YAML names of a struct's fields, in declaration order.
type structFields struct {
	names   []string
	indexes []int
}

func yamlFields(t reflect.Type) structFields {
	var fs structFields
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs.names = append(fs.names, name)
		fs.indexes = append(fs.indexes, i)
	}
	return fs
}

func (fs structFields) index(name string) (int, bool) {
	for i, n := range fs.names {
		if n == name {
			return fs.indexes[i], true
		}
	}
	return 0, false
}

// Suggest returns the candidate nearest to s when s is a plausible typo of
// it, else ""; parsers of vigil's YAML files use it for "did you mean".
func Suggest(s string, candidates []string) string {
	best, bestDist := "", math.MaxInt
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist > 2 || bestDist >= len(s) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
