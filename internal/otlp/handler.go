package otlp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Path is where OTLP/HTTP exporters send traces by default.
const Path = "/v1/traces"

// Sink stores spans.
type Sink interface {
	WriteSpans(ctx context.Context, spans []span.Span) error
}

// ErrOverloaded is what a Sink returns (wrapped) when it cannot take more
// spans now; the sender is asked to retry later (429).
var ErrOverloaded = errors.New("otlp: sink overloaded")

// Handler serves POST /v1/traces. Mount it at Path.
type Handler struct {
	sink     Sink
	opts     Options
	stats    *counters
	logs     *logLimiter
	bufPool  sync.Pool // *bytes.Buffer
	gzipPool sync.Pool // *gzip.Reader
}

// NewHandler returns a Handler writing to sink.
func NewHandler(sink Sink, opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{sink: sink, opts: opts, stats: newCounters(), logs: newLogLimiter(opts.Logger, opts.Now)}
}

// Stats returns the handler's counters.
func (h *Handler) Stats() Stats { return h.stats.snapshot() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.stats.requests.Add(1)
	enc, known := parseContentType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, enc, refuse(ReasonMethod, http.StatusMethodNotAllowed,
			"method %q not allowed, use POST", limitString(r.Method, 16)))
		return
	}
	if !known {
		h.fail(w, r, enc, refuse(ReasonContentType, http.StatusUnsupportedMediaType,
			"unsupported Content-Type %q, want %s or %s",
			limitString(r.Header.Get("Content-Type"), 64), contentTypeProtobuf, contentTypeJSON))
		return
	}
	res, rerr := h.receive(r, enc)
	if rerr == nil {
		rerr = h.store(r.Context(), &res)
	}
	if rerr != nil {
		h.fail(w, r, enc, rerr)
		return
	}
	h.reply(w, enc, http.StatusOK, exportResponse(&res))
}

// receive reads, decodes and converts the request.
func (h *Handler) receive(r *http.Request, enc encoding) (Result, *requestError) {
	gz, rerr := gzipped(r.Header)
	if rerr != nil {
		return Result{}, rerr
	}
	buf := h.buffer()
	defer h.release(buf)
	if rerr := h.readBody(r, gz, buf); rerr != nil {
		return Result{}, rerr
	}
	if enc == encJSON {
		req, err := decodeJSON(buf.Bytes())
		if err != nil {
			return Result{}, &requestError{reason: ReasonJSON, status: http.StatusBadRequest, msg: err.Error(), quiet: true}
		}
		return Convert(req, enc.format(), h.opts.Limits), nil
	}
	res, err := decodeConvert(buf.Bytes(), enc.format(), h.opts.Limits)
	if err != nil {
		return Result{}, &requestError{reason: ReasonProtobuf, status: http.StatusBadRequest, msg: err.Error(), quiet: true}
	}
	return res, nil
}

// store filters the spans and hands them to the sink.
func (h *Handler) store(ctx context.Context, res *Result) *requestError {
	h.filter(res)
	if len(res.Spans) > 0 {
		err := h.sink.WriteSpans(ctx, res.Spans)
		switch {
		case errors.Is(err, ErrOverloaded):
			return &requestError{reason: ReasonOverloaded, status: http.StatusTooManyRequests,
				msg: "span storage is overloaded, retry later", cause: err}
		case err != nil:
			return &requestError{reason: ReasonSinkFailed, status: http.StatusServiceUnavailable,
				msg: "span storage failed, retry later", cause: err}
		}
	}
	h.stats.accepted.Add(uint64(len(res.Spans)))
	for reason, n := range res.Rejected {
		h.stats.rejectSpans(reason, n)
		h.logs.logf(slog.LevelWarn, reason, "rejected OTLP spans", "spans", n)
	}
	return nil
}

// fail answers a refused request with a google.rpc.Status, as OTLP/HTTP
// asks, and asks for a retry where the spec lets senders retry.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, enc encoding, e *requestError) {
	h.stats.rejectRequest(e.reason)
	args := []any{"status", e.status, "remote", r.RemoteAddr}
	if !e.quiet {
		args = append(args, "error", e.msg)
	}
	if e.cause != nil {
		args = append(args, "cause", e.cause.Error())
	}
	level := slog.LevelWarn
	if e.status >= 500 || e.status == http.StatusTooManyRequests {
		level = slog.LevelError
	}
	h.logs.logf(level, e.reason, "refused OTLP trace export", args...)
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(h.opts.RetryAfter.Seconds()))))
	}
	h.reply(w, enc, e.status, &status.Status{Code: rpcCode(e.status), Message: e.msg})
}

// rpcCode is the gRPC code matching an HTTP status (the numbers of
// google.rpc.Code, spelled out to avoid importing gRPC for them).
func rpcCode(httpStatus int) int32 {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		return 12 // UNIMPLEMENTED
	case http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	case http.StatusInternalServerError:
		return 13 // INTERNAL
	}
	return 3 // INVALID_ARGUMENT
}

func (h *Handler) reply(w http.ResponseWriter, enc encoding, code int, msg proto.Message) {
	var body []byte
	var err error
	if enc == encJSON {
		body, err = protojson.Marshal(msg)
	} else {
		body, err = proto.Marshal(msg)
	}
	if err != nil { // cannot happen for these messages; never leave the sender without an answer
		h.logs.logf(slog.LevelError, "encode", "encoding OTLP response", "error", err.Error())
		http.Error(w, "encoding response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body) // the sender is gone if this fails; nothing to do
}

// exportResponse reports rejected spans in partial_success.
func exportResponse(res *Result) *coltracepb.ExportTraceServiceResponse {
	n := res.RejectedSpans()
	if n == 0 {
		return &coltracepb.ExportTraceServiceResponse{}
	}
	reasons := make([]string, 0, len(res.Rejected))
	for r, c := range res.Rejected {
		reasons = append(reasons, fmt.Sprintf("%s: %d", r, c))
	}
	slices.Sort(reasons)
	return &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
		RejectedSpans: int64(n),
		ErrorMessage:  fmt.Sprintf("rejected %d spans (%s)", n, strings.Join(reasons, ", ")),
	}}
}

// buffer takes a body buffer from the pool; release returns it unless it
// grew large, so one big request does not pin memory.
func (h *Handler) buffer() *bytes.Buffer {
	if b, ok := h.bufPool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

const maxPooledBuffer = 4 << 20

func (h *Handler) release(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	h.bufPool.Put(b)
}
