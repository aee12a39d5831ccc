package otlp

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// encoding is an OTLP/HTTP body encoding.
type encoding int

const (
	encProtobuf encoding = iota
	encJSON
)

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

func (e encoding) contentType() string {
	if e == encJSON {
		return contentTypeJSON
	}
	return contentTypeProtobuf
}

// format is span.Vigil.Format for spans that came in this encoding.
func (e encoding) format() string {
	if e == encJSON {
		return "otlp/json"
	}
	return "otlp/protobuf"
}

// parseContentType accepts the two OTLP/HTTP media types, with parameters
// (charset) ignored; "application/protobuf" is accepted as a synonym.
func parseContentType(h string) (encoding, bool) {
	mt, _, err := mime.ParseMediaType(h)
	if err != nil {
		return encProtobuf, false
	}
	switch mt {
	case contentTypeProtobuf, "application/protobuf":
		return encProtobuf, true
	case contentTypeJSON:
		return encJSON, true
	}
	return encProtobuf, false
}

// requestError refuses a whole request. msg goes to the sender in the
// google.rpc.Status and to the log, so it never quotes the body.
type requestError struct {
	reason Reason
	status int
	msg    string
	quiet  bool  // msg may quote the body (decoder errors): not logged
	cause  error // logged, not sent
}

func (e *requestError) Error() string { return e.msg }

func refuse(reason Reason, status int, format string, args ...any) *requestError {
	return &requestError{reason: reason, status: status, msg: fmt.Sprintf(format, args...)}
}

// gzipped reports whether the body is gzip-compressed, or an error for a
// content coding OTLP does not use.
func gzipped(h http.Header) (bool, *requestError) {
	switch ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); ce {
	case "", "identity":
		return false, nil
	case "gzip", "x-gzip":
		return true, nil
	default:
		return false, refuse(ReasonContentEncoding, http.StatusUnsupportedMediaType,
			"unsupported Content-Encoding %q, want gzip or none", limitString(ce, 32))
	}
}

// readBody reads the request body into buf, decompressing gzip, within the
// wire and decompressed limits. Reading one byte past a limit is how an
// oversized body is told from one exactly at it.
func (h *Handler) readBody(r *http.Request, gz bool, buf *bytes.Buffer) *requestError {
	maxWire, maxBody := h.opts.MaxBodyBytes, h.opts.MaxDecompressedBytes
	if r.ContentLength > maxWire {
		return refuse(ReasonTooLarge, http.StatusRequestEntityTooLarge,
			"request body of %d bytes exceeds the limit of %d", r.ContentLength, maxWire)
	}
	wire := &io.LimitedReader{R: r.Body, N: maxWire + 1}
	tooLarge := func() *requestError {
		return refuse(ReasonTooLarge, http.StatusRequestEntityTooLarge,
			"request body exceeds the limit of %d bytes", maxWire)
	}
	if !gz {
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
		}
		if _, err := buf.ReadFrom(wire); err != nil {
			return refuse(ReasonRead, http.StatusBadRequest, "reading request body: %v", err)
		}
		if wire.N == 0 {
			return tooLarge()
		}
		return nil
	}
	zr, err := h.gzipReader(wire)
	if err != nil {
		if wire.N == 0 {
			return tooLarge()
		}
		return refuse(ReasonGzip, http.StatusBadRequest, "reading gzip header: %v", err)
	}
	defer h.gzipPool.Put(zr)
	_, err = buf.ReadFrom(io.LimitReader(zr, maxBody+1))
	switch {
	case wire.N == 0:
		return tooLarge()
	case int64(buf.Len()) > maxBody:
		return refuse(ReasonTooLarge, http.StatusRequestEntityTooLarge,
			"decompressed request body exceeds the limit of %d bytes", maxBody)
	case err != nil:
		return refuse(ReasonGzip, http.StatusBadRequest, "decompressing request body: %v", err)
	}
	return nil
}

// gzipReader takes a reader from the pool: a gzip.Reader holds 32 KiB of
// window, worth reusing across requests.
func (h *Handler) gzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := h.gzipPool.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			h.gzipPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

// limitString cuts s for an error message.
func limitString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return truncateUTF8(s, n) + "..."
}
