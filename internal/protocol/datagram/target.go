package datagram

import "unsafe"

// Target returns the request target: Path, and "?" and Query when there
// is a query. Parse cuts Path and Query from one string with the '?'
// between them, so the target is a sub-string of it and costs no
// allocation; an empty path sent as "/" is concatenated. Only for a
// Datagram from Parse: fields of separate strings that happen to lie side
// by side would be joined without keeping the second one alive.
func (d *Datagram) Target() string {
	if d.Query == "" {
		return d.Path
	}
	if p := unsafe.StringData(d.Path); len(d.Path) > 0 &&
		unsafe.Add(unsafe.Pointer(p), len(d.Path)+1) == unsafe.Pointer(unsafe.StringData(d.Query)) &&
		*(*byte)(unsafe.Add(unsafe.Pointer(p), len(d.Path))) == '?' {
		return unsafe.String(p, len(d.Path)+1+len(d.Query))
	}
	return d.Path + "?" + d.Query
}
