package spool

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
)

// On-disk format. A segment file is named <seq, 20 digits>.seg so that
// lexical order is age order, and holds:
//
//	fileMagic                              8 bytes
//	record*
//
// A record is:
//
//	payload length   uint32 little-endian
//	payload CRC-32C  uint32 little-endian
//	payload          span count (uint32 little-endian) + JSON array of the batch
//
// Records are only appended; a crash can leave a torn record at the tail,
// which the checksum (or a length running past the end) reveals.
const (
	segExt       = ".seg"
	fileMagic    = "VGSPOOL1"
	recHeaderLen = 8
	// maxPayload bounds what a (possibly corrupt) length may claim.
	maxPayload = 1 << 30
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt = errors.New("corrupt spool record")
)

// segment is one file of the spool. Fields are guarded by Spool.mu.
type segment struct {
	seq      uint64
	path     string
	f        *os.File // open for appending while this is the active segment
	size     int64    // bytes on disk
	validEnd int64    // end of the last good record; nothing after it is read
	spans    int64    // spans in the good records
	off      int64    // next record to send to the store
	sent     int64    // spans already accepted by the store
	dropped  bool     // deleted to make room; Run stops sending it
}

func segName(seq uint64) string { return fmt.Sprintf("%020d%s", seq, segExt) }

func parseSegName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segExt)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, err == nil
}

// encodeRecord returns batch as one record, header included.
func encodeRecord(batch []span.Span) ([]byte, error) {
	js, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	rec := make([]byte, recHeaderLen+4+len(js))
	payload := rec[recHeaderLen:]
	binary.LittleEndian.PutUint32(payload, uint32(len(batch)))
	copy(payload[4:], js)
	binary.LittleEndian.PutUint32(rec, uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(payload, castagnoli))
	return rec, nil
}

// readRecord reads the record at the reader's position, which has at most
// limit bytes left that may be trusted. It returns the payload, the record's
// length and io.EOF at a clean end, errCorrupt for a torn or damaged record,
// or the read error.
func readRecord(r io.Reader, limit int64) ([]byte, int64, error) {
	if limit <= 0 {
		return nil, 0, io.EOF
	}
	var hdr [recHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("%w: header cut short", errCorrupt)
		}
		return nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(hdr[:]))
	if n < 4 || n > maxPayload || recHeaderLen+n > limit {
		return nil, 0, fmt.Errorf("%w: length %d with %d bytes left", errCorrupt, n, limit-recHeaderLen)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("%w: payload cut short", errCorrupt)
		}
		return nil, 0, err
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	return payload, recHeaderLen + n, nil
}

func payloadCount(payload []byte) int64 { return int64(binary.LittleEndian.Uint32(payload)) }

// decodeBatch parses a payload whose checksum already matched.
func decodeBatch(payload []byte) ([]span.Span, error) {
	var batch []span.Span
	if err := json.Unmarshal(payload[4:], &batch); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if int64(len(batch)) != payloadCount(payload) {
		return nil, fmt.Errorf("%w: %d spans, header says %d", errCorrupt, len(batch), payloadCount(payload))
	}
	return batch, nil
}

// scanSegment reads a segment left by an earlier process and finds where its
// good records end. A bad record ends the scan: past it, record boundaries
// cannot be trusted. corrupt reports the bad record, if any.
func scanSegment(dir string, seq uint64) (seg *segment, corrupt error, err error) {
	path := filepath.Join(dir, segName(seq))
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	seg = &segment{seq: seq, path: path, size: fi.Size()}
	if seg.size == 0 { // created, crashed before the magic was written
		return seg, nil, nil
	}
	r := bufio.NewReaderSize(f, 64<<10)
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != fileMagic {
		return seg, fmt.Errorf("%w: bad file header", errCorrupt), nil
	}
	off := int64(len(fileMagic))
	seg.off, seg.validEnd = off, off
	for {
		payload, n, err := readRecord(r, seg.size-off)
		if errors.Is(err, io.EOF) {
			return seg, nil, nil
		}
		if errors.Is(err, errCorrupt) {
			return seg, fmt.Errorf("at offset %d: %w", off, err), nil
		}
		if err != nil {
			return nil, nil, err
		}
		off += n
		seg.validEnd = off
		seg.spans += payloadCount(payload)
	}
}
