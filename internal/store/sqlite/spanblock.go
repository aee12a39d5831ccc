package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/s2"

	"github.com/vigil-dev/vigil/internal/span"
)

// Spans are stored in blocks: one row per batch and minute of @timestamp,
// holding the spans (span.AppendBinary) compressed together, a bloom filter of
// their span and trace ids, and the services and kinds they name. A row per
// span, with indexes on random trace ids, dirtied a page per span and capped
// the store at ~25,000 spans per CPU second; a block costs two row inserts
// whatever its size. Lookups read the small block rows first and decompress
// only the blocks whose time range, services, kinds and filter can match.

// Block formats: 1 held JSON documents, 2 (written since) binary spans,
// several times cheaper to encode and decode. Both are read; a block of
// format 1 becomes format 2 when it is rewritten.
const (
	blockFormatJSON = 1
	blockFormat     = 2
	blockBucketUS   = 60_000_000 // a block never spans two minutes: retention cuts cleanly
	maxBlockSpans   = 4096
	bloomBitsPerKey = 10
	bloomHashes     = 7
)

// entry is a span of a block with what reads filter on, read without
// decoding the whole span.
type entry struct {
	ts      int64 // @timestamp, unix microseconds
	id      string
	traceID string
	service string
	kind    string
	doc     string // span.AppendBinary, or JSON when json is set
	json    bool   // doc is JSON: from a block of format 1 or a row of schema 2
}

// decode reads the entry's span. The span's strings are copied out of doc:
// they must not keep a whole decompressed block alive.
func (e *entry) decode(sp *span.Span) error {
	if e.json {
		return span.Decode([]byte(e.doc), sp)
	}
	return span.DecodeBinaryString(strings.Clone(e.doc), sp)
}

// toBinary re-encodes the JSON documents among entries (from old blocks or
// rows) as binary spans, so that a block written from them has format 2.
func toBinary(entries []entry) error {
	for i := range entries {
		e := &entries[i]
		if !e.json {
			continue
		}
		var sp span.Span
		if err := span.Decode([]byte(e.doc), &sp); err != nil {
			return fmt.Errorf("decoding the JSON of span %q: %w", e.id, err)
		}
		e.doc, e.json = string(sp.AppendBinary(nil)), false
	}
	return nil
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
	docs, raw, data []byte
}

// encodeBlock serialises entries (all in one minute, ids unique) and
// returns the compressed data (in sc.data, valid until sc is reused) and the
// block's row. hashes are sortedHashes(entries), or nil to compute them; sc
// may be nil. JSON documents among entries are converted.
func encodeBlock(entries []entry, hashes []uint64, sc *scratch) (data []byte, meta blockMeta, err error) {
	if sc == nil {
		sc = &scratch{}
	}
	if err := toBinary(entries); err != nil {
		return nil, blockMeta{}, err
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
	if hashes == nil {
		hashes = sortedHashes(entries)
	}
	meta.ids = encodeHashes(hashes)

	// Format 2 keeps only the time and length of each span in front: the
	// id, trace id, service and kind are read from the span (BinaryKeys),
	// and not repeating them made blocks and their compression a sixth
	// cheaper.
	size := 16
	for i := range entries {
		size += len(entries[i].doc) + 16
	}
	raw := append(slices.Grow(sc.raw[:0], size), blockFormat)
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		raw = binary.AppendUvarint(raw, uint64(e.ts-meta.minTS))
		raw = binary.AppendUvarint(raw, uint64(len(e.doc)))
	}
	for i := range entries {
		raw = append(raw, entries[i].doc...)
	}
	sc.raw = raw
	sc.data = s2.Encode(sc.data[:cap(sc.data)], raw)
	return sc.data, meta, nil
}

// decodeBlock is the inverse of encodeBlock, for both formats. Every string
// of the entries points into the one decompressed buffer.
func decodeBlock(data []byte, minTS int64) ([]entry, error) {
	raw, err := s2.Decode(nil, data)
	if err != nil {
		return nil, fmt.Errorf("decompressing span block: %w", err)
	}
	if len(raw) == 0 || (raw[0] != blockFormat && raw[0] != blockFormatJSON) {
		return nil, fmt.Errorf("span block has an unknown format")
	}
	isJSON := raw[0] == blockFormatJSON
	// raw is ours alone and never written again: strings may share it.
	r := blockReader{b: unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-1)}
	n := r.uvarint()
	if n > maxBlockSpans {
		return nil, fmt.Errorf("span block claims %d spans, more than %d", n, maxBlockSpans)
	}
	entries := make([]entry, n)
	lens := make([]int, n)
	for i := range entries {
		e := &entries[i]
		e.ts = minTS + int64(r.uvarint())
		if isJSON {
			e.id, e.traceID, e.service, e.kind = r.str(), r.str(), r.str(), r.str()
			e.json = true
		}
		lens[i] = int(r.uvarint())
	}
	if r.err != nil {
		return nil, fmt.Errorf("span block header: %w", r.err)
	}
	docs := r.b
	for i := range entries {
		if lens[i] > len(docs) {
			return nil, fmt.Errorf("span block is truncated at span %d of %d", i, n)
		}
		e := &entries[i]
		e.doc, docs = docs[:lens[i]], docs[lens[i]:]
		if !isJSON {
			if e.id, e.traceID, e.service, e.kind, err = span.BinaryKeys(e.doc); err != nil {
				return nil, fmt.Errorf("span block, span %d of %d: %w", i, n, err)
			}
		}
	}
	return entries, nil
}

// encodeHashes encodes sorted id hashes as span_block_data.ids holds them.
func encodeHashes(hs []uint64) []byte {
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

// blockReader reads a decompressed block; strings are substrings of b.
type blockReader struct {
	b   string
	err error
}

func (r *blockReader) uvarint() uint64 {
	x, n := span.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated varint")
		r.b = ""
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *blockReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errors.New("truncated string")
		r.b = ""
		return ""
	}
	s := r.b[:n]
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
