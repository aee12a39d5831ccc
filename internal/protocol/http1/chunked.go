package http1

import "bytes"

// chunker follows chunked framing byte by byte, so any split of the body
// across writes parses the same. Chunk data is skipped by count: it may be
// a gap that was never captured.
type chunker struct {
	st      chunkState
	size    uint64 // chunk size being read
	digits  int
	remain  uint64 // chunk data left
	lineLen int    // bytes in the current size or trailer line
	trailer int    // trailer bytes so far
}

type chunkState uint8

const (
	csSize      chunkState = iota // hex digits of a chunk size
	csExt                         // extensions after the size, up to the line end
	csSizeLF                      // LF after the size line's CR
	csData                        // chunk data
	csDataCR                      // CR (or LF) after chunk data
	csDataLF                      // LF after chunk data
	csTrailer                     // start of a trailer line, or of the final empty line
	csTrailerLn                   // inside a trailer line
	csEndLF                       // LF of the final empty line
	csDone
	csBad
)

const (
	maxChunkLine = 4096 // size line with extensions
	maxTrailer   = 16 << 10
)

// data consumes framing from b and returns how much it used; it stops early
// when the body ends or the framing is bad (see st).
func (c *chunker) data(b []byte) int {
	i := 0
	for i < len(b) && c.st != csDone && c.st != csBad {
		if c.st == csData {
			n := int(min(c.remain, uint64(len(b)-i)))
			i += n
			if c.remain -= uint64(n); c.remain == 0 {
				c.st = csDataCR
			}
			continue
		}
		if c.st == csTrailerLn || c.st == csExt {
			i += c.skipLine(b[i:])
			continue
		}
		c.step(b[i])
		i++
	}
	return i
}

// skipLine consumes a trailer or extension line through its LF.
func (c *chunker) skipLine(b []byte) int {
	limit := ternary(c.st == csExt, maxChunkLine-c.lineLen, maxTrailer-c.trailer)
	j := bytes.IndexByte(b, '\n')
	n := ternary(j < 0, len(b), j+1)
	if n > limit {
		c.st = csBad
		return 0
	}
	c.lineLen += n
	if c.st == csTrailerLn {
		c.trailer += n
	}
	if j >= 0 {
		if c.st == csExt {
			c.endSizeLine()
		} else {
			c.st = csTrailer
		}
	}
	return n
}

func (c *chunker) step(ch byte) {
	switch c.st {
	case csSize:
		c.sizeByte(ch)
	case csSizeLF:
		if ch != '\n' {
			c.st = csBad
			return
		}
		c.endSizeLine()
	case csDataCR:
		switch ch {
		case '\r':
			c.st = csDataLF
		case '\n':
			c.reset()
		default:
			c.st = csBad
		}
	case csDataLF:
		if ch != '\n' {
			c.st = csBad
			return
		}
		c.reset()
	case csTrailer:
		switch ch {
		case '\r':
			c.st = csEndLF
		case '\n':
			c.st = csDone
		default:
			c.st, c.trailer = csTrailerLn, c.trailer+1
		}
	case csEndLF:
		c.st = ternary(ch == '\n', csDone, csBad)
	}
}

func (c *chunker) sizeByte(ch byte) {
	if d, ok := hexDigit(ch); ok {
		if c.digits == 16 {
			c.st = csBad
			return
		}
		c.size, c.digits = c.size<<4|d, c.digits+1
		return
	}
	switch {
	case c.digits == 0:
		c.st = csBad
	case ch == ';' || ch == ' ' || ch == '\t':
		c.st, c.lineLen = csExt, c.digits+1
	case ch == '\r':
		c.st = csSizeLF
	case ch == '\n':
		c.endSizeLine()
	default:
		c.st = csBad
	}
}

// endSizeLine starts the chunk's data, or the trailer after the last chunk.
func (c *chunker) endSizeLine() {
	if c.size == 0 {
		c.st = csTrailer
		return
	}
	c.st, c.remain = csData, c.size
}

// reset prepares for the next chunk's size line.
func (c *chunker) reset() { c.st, c.size, c.digits, c.lineLen = csSize, 0, 0, 0 }

// gap skips n uncaptured bytes; it uses only chunk data, since framing
// cannot be skipped without knowing it.
func (c *chunker) gap(n uint64) uint64 {
	if c.st != csData {
		return 0
	}
	k := min(n, c.remain)
	if c.remain -= k; c.remain == 0 {
		c.st = csDataCR
	}
	return k
}

func hexDigit(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
