package secrets

// FromMap is a fixed set of secrets (tests, the demo's own password).
func FromMap(m map[string]string) Source {
	cp := make(mapSource, len(m))
	for k, v := range m {
		cp[k] = v
	}
	return cp
}
