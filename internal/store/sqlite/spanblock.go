package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/s2"
)

// Spans are stored in blocks: one row per batch and minute of @timestamp,
// holding the spans' JSON documents compressed together, a bloom filter of
// their span and trace ids, and the services and kinds they name. A row per
// span, with indexes on random trace ids, dirtied a page per span and capped
// the store at ~25,000 spans per CPU second; a block costs two row inserts
// whatever its size. Lookups read the small block rows first and decompress
// only the blocks whose time range, services, kinds and filter can match.

const (
	blockFormat     = 1
	blockBucketUS   = 60_000_000 // a block never spans two minutes: retention cuts cleanly
	maxBlockSpans   = 4096
	bloomBitsPerKey = 10
	bloomHashes     = 7
)

// entry is what a block stores of one span besides its document; enough to
// filter without decoding JSON.
type entry struct {
	ts      int64 // @timestamp, unix microseconds
	id      string
	traceID string
	service string
	kind    string
	doc     string // JSON of span.Span
}

// blockMeta is the row of span_blocks for a block.
type blockMeta struct {
	minTS, maxTS int64
	n            int
	services     string // "\nname\nname\n": instr(services, '\n'||?||'\n') filters in SQL
	kinds        string // same shape
	filter       []byte
	ids          []byte // sorted xxhash64 of the span ids, little endian
}

// scratch holds a write's buffers, reused from write to write: a batch of
// spans is megabytes, and allocating (and clearing) them every time cost
// more than compressing them.
type scratch struct {
	json, raw, data []byte
}

// encodeBlock serialises entries (all in one minute, ids unique) and
// returns the compressed data (in sc.data, valid until sc is reused) and the
// block's row. sc may be nil.
func encodeBlock(entries []entry, sc *scratch) (data []byte, meta blockMeta) {
	if sc == nil {
		sc = &scratch{}
	}
	meta.minTS, meta.maxTS = entries[0].ts, entries[0].ts
	var services, kinds []string
	f := newBloom(2 * len(entries))
	for i := range entries {
		e := &entries[i]
		meta.minTS = min(meta.minTS, e.ts)
		meta.maxTS = max(meta.maxTS, e.ts)
		if !slices.Contains(services, e.service) {
			services = append(services, e.service)
		}
		if !slices.Contains(kinds, e.kind) {
			kinds = append(kinds, e.kind)
		}
		f.add(e.id)
		f.add(e.traceID)
	}
	meta.n = len(entries)
	meta.services = joinSet(services)
	meta.kinds = joinSet(kinds)
	meta.filter = f.bits
	meta.ids = idHashes(entries)

	size := 16
	for i := range entries {
		e := &entries[i]
		size += len(e.id) + len(e.traceID) + len(e.service) + len(e.kind) + len(e.doc) + 32
	}
	raw := append(slices.Grow(sc.raw[:0], size), blockFormat)
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		raw = binary.AppendUvarint(raw, uint64(e.ts-meta.minTS))
		raw = appendStr(raw, e.id)
		raw = appendStr(raw, e.traceID)
		raw = appendStr(raw, e.service)
		raw = appendStr(raw, e.kind)
		raw = binary.AppendUvarint(raw, uint64(len(e.doc)))
	}
	for i := range entries {
		raw = append(raw, entries[i].doc...)
	}
	sc.raw = raw
	sc.data = s2.Encode(sc.data[:cap(sc.data)], raw)
	return sc.data, meta
}

// decodeBlock is the inverse of encodeBlock; docs share one string.
func decodeBlock(data []byte, minTS int64) ([]entry, error) {
	raw, err := s2.Decode(nil, data)
	if err != nil {
		return nil, fmt.Errorf("decompressing span block: %w", err)
	}
	if len(raw) == 0 || raw[0] != blockFormat {
		return nil, fmt.Errorf("span block has an unknown format")
	}
	r := blockReader{b: raw[1:]}
	n := r.uvarint()
	if n > maxBlockSpans {
		return nil, fmt.Errorf("span block claims %d spans, more than %d", n, maxBlockSpans)
	}
	entries := make([]entry, n)
	lens := make([]int, n)
	for i := range entries {
		e := &entries[i]
		e.ts = minTS + int64(r.uvarint())
		e.id, e.traceID, e.service, e.kind = r.str(), r.str(), r.str(), r.str()
		lens[i] = int(r.uvarint())
	}
	if r.err != nil {
		return nil, fmt.Errorf("span block header: %w", r.err)
	}
	docs := string(r.b)
	for i := range entries {
		if lens[i] > len(docs) {
			return nil, fmt.Errorf("span block is truncated at span %d of %d", i, n)
		}
		entries[i].doc, docs = docs[:lens[i]], docs[lens[i]:]
	}
	return entries, nil
}

// idHashes returns the sorted 64-bit hashes of the entries' ids, encoded.
func idHashes(entries []entry) []byte {
	hs := sortedHashes(entries)
	out := make([]byte, 8*len(hs))
	for i, h := range hs {
		binary.LittleEndian.PutUint64(out[8*i:], h)
	}
	return out
}

func sortedHashes(entries []entry) []uint64 {
	hs := make([]uint64, len(entries))
	for i := range entries {
		hs[i] = xxhash.Sum64String(entries[i].id)
	}
	slices.Sort(hs)
	return hs
}

// anyCommon reports whether two sorted hash lists share a value; stored is
// encoded as idHashes encodes it.
func anyCommon(sorted []uint64, stored []byte) bool {
	i, j, n := 0, 0, len(stored)/8
	for i < len(sorted) && j < n {
		h := binary.LittleEndian.Uint64(stored[8*j:])
		switch {
		case sorted[i] < h:
			i++
		case sorted[i] > h:
			j++
		default:
			return true
		}
	}
	return false
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type blockReader struct {
	b   []byte
	err error
}

func (r *blockReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated varint")
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errors.New("truncated string")
		r.b = nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// joinSet returns "\na\nb\n"; names never contain a newline (services and
// kinds come from process names and constants), and one that did would only
// make a filter match less.
func joinSet(names []string) string {
	slices.Sort(names)
	return "\n" + strings.Join(names, "\n") + "\n"
}

// bloom is a filter over span and trace ids, stored with its block. Its
// hashes are stable across processes: stored filters stay valid.
type bloom struct{ bits []byte }

func newBloom(keys int) bloom {
	bytes := (max(keys, 1)*bloomBitsPerKey + 7) / 8
	return bloom{bits: make([]byte, bytes)}
}

func (f bloom) add(key string) {
	h1, h2, m := bloomHash(key, len(f.bits))
	for range bloomHashes {
		bit := h1 % m
		f.bits[bit/8] |= 1 << (bit % 8)
		h1 += h2
	}
}

func (f bloom) mayContain(key string) bool {
	if len(f.bits) == 0 {
		return false
	}
	h1, h2, m := bloomHash(key, len(f.bits))
	for range bloomHashes {
		bit := h1 % m
		if f.bits[bit/8]&(1<<(bit%8)) == 0 {
			return false
		}
		h1 += h2
	}
	return true
}

// bloomHash derives the k probe positions by double hashing one 64-bit hash.
func bloomHash(key string, nbytes int) (h1, h2, m uint64) {
	h := xxhash.Sum64String(key)
	return h, h>>33 | h<<31 | 1, uint64(nbytes) * 8
}
