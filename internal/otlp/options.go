package otlp

import (
	"log/slog"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// Defaults for Options and Limits.
const (
	DefaultMaxBodyBytes         = 4 << 20  // on the wire
	DefaultMaxDecompressedBytes = 16 << 20 // after gzip
	DefaultRetryAfter           = 5 * time.Second
	DefaultMaxAttributes        = 128
	DefaultMaxStringBytes       = 4096
	DefaultMaxEvents            = 128
	DefaultMaxLinks             = 128
	DefaultMaxDepth             = 4
)

// Options configure a Handler. The zero value is usable: every zero field
// takes its default.
type Options struct {
	// MaxBodyBytes bounds the request body as sent (compressed or not);
	// MaxDecompressedBytes bounds it after gzip, so a small gzip bomb is
	// refused too. Larger bodies are answered 413.
	MaxBodyBytes         int64
	MaxDecompressedBytes int64
	// Filter, when set, is applied to every span before the sink (it is
	// the redaction hook). It may change the span in place. The spans of
	// one resource share its map: Filter sees it with the first of them,
	// an empty map with the others (see Handler.filter).
	Filter func(*span.Span)
	Limits Limits
	// RetryAfter is what 429 and 503 answers ask senders to wait.
	RetryAfter time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Limits bound what one span can carry; what is over them is dropped and
// counted (see Convert), never rejected.
type Limits struct {
	MaxAttributes  int // entries per attribute map, elements per array
	MaxStringBytes int // bytes per string value or key, cut on a UTF-8 boundary
	MaxEvents      int // per span
	MaxLinks       int // per span
	MaxDepth       int // nesting of arrays and maps; a top-level value is depth 1
}

func (l Limits) withDefaults() Limits {
	l.MaxAttributes = orDefault(l.MaxAttributes, DefaultMaxAttributes)
	l.MaxStringBytes = orDefault(l.MaxStringBytes, DefaultMaxStringBytes)
	l.MaxEvents = orDefault(l.MaxEvents, DefaultMaxEvents)
	l.MaxLinks = orDefault(l.MaxLinks, DefaultMaxLinks)
	l.MaxDepth = orDefault(l.MaxDepth, DefaultMaxDepth)
	return l
}

func (o Options) withDefaults() Options {
	o.MaxBodyBytes = orDefault(o.MaxBodyBytes, DefaultMaxBodyBytes)
	o.MaxDecompressedBytes = orDefault(o.MaxDecompressedBytes, DefaultMaxDecompressedBytes)
	o.RetryAfter = orDefault(o.RetryAfter, DefaultRetryAfter)
	o.Limits = o.Limits.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "otlp")
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// orDefault returns def for zero or negative v.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
