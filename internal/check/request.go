package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// buildRequest expands references in every part of the request and builds
// it on the run's context.
func (rn *run) buildRequest(spec monitor.Request, vars map[string]string) (*http.Request, error) {
	method := strings.ToUpper(spec.Method)
	if method == "" {
		method = http.MethodGet
	}
	u, err := rn.requestURL(spec, vars)
	if err != nil {
		return nil, err
	}
	body, contentType, err := rn.requestBody(spec, vars)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(rn.ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", rn.r.userAgent)
	// W3C trace context: the backend spans this request causes (traced by
	// the agent, or by the target's own OpenTelemetry SDK) join the step's
	// trace. A monitor's own traceparent header, set below, wins.
	req = rn.withTrace(req)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Headers)) {
		v, err := rn.expand(spec.Headers[name], vars)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		if strings.EqualFold(name, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(name, v)
	}
	return req, nil
}

func (rn *run) requestURL(spec monitor.Request, vars map[string]string) (*url.URL, error) {
	raw, err := rn.expand(spec.URL, vars)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an absolute http or https URL", raw)
	}
	if len(spec.Query) == 0 {
		return u, nil
	}
	extra := url.Values{}
	for k, v := range spec.Query {
		if v, err = rn.expand(v, vars); err != nil {
			return nil, fmt.Errorf("query %s: %w", k, err)
		}
		extra.Add(k, v)
	}
	// Appended, so the URL's own query keeps its order and encoding.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += extra.Encode()
	return u, nil
}

// requestBody returns the body and the Content-Type it implies.
func (rn *run) requestBody(spec monitor.Request, vars map[string]string) (io.Reader, string, error) {
	if spec.JSON != nil {
		v, err := rn.expandJSON(spec.JSON, vars)
		if err != nil {
			return nil, "", fmt.Errorf("json body: %w", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "", fmt.Errorf("encode json body: %w", err)
		}
		return bytes.NewReader(b), "application/json", nil
	}
	if spec.Body == "" {
		return nil, "", nil
	}
	b, err := rn.expand(spec.Body, vars)
	if err != nil {
		return nil, "", fmt.Errorf("body: %w", err)
	}
	return strings.NewReader(b), "", nil
}

// expandJSON copies v, expanding references in its string leaves (keys
// stay as written).
func (rn *run) expandJSON(v any, vars map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		return rn.expand(x, vars)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = rn.expandJSON(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[k], err = rn.expandJSON(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[any]any: // older YAML decoders
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[fmt.Sprint(k)], err = rn.expandJSON(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
