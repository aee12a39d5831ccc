package check

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// defaultHTTPAssert applies to a step that asserts nothing: an error
// status is not "up".
const defaultHTTPAssert = "status < 400"

// httpJourney runs the steps in order and stops at the first that fails;
// later steps are not run and not reported.
func (rn *run) httpJourney(m monitor.Monitor) ([]result.Step, *result.Error) {
	if len(m.Steps) == 0 {
		return nil, configError("http monitor has no steps")
	}
	clients := newClients()
	defer clients.close()
	vars := map[string]string{}
	steps := make([]result.Step, 0, len(m.Steps))
	for i, st := range m.Steps {
		s := rn.httpStep(clients, i+1, st, vars)
		steps = append(steps, s)
		if s.Synthetics.Step.Status != result.StatusUp {
			break
		}
	}
	return steps, nil
}

func httpStepName(index int, st monitor.Step) string {
	if st.Name != "" {
		return st.Name
	}
	return fmt.Sprintf("step %d", index)
}

// httpStep makes one request and judges its response. vars receives what
// the step extracts.
func (rn *run) httpStep(clients *clients, index int, st monitor.Step, vars map[string]string) result.Step {
	s := beginStep(index, httpStepName(index, st))
	req, err := rn.buildRequest(st.Request, vars)
	if err != nil {
		s.step.URL = resultURL(st.Request.URL) // as written: placeholders, no values
		s.failf(result.ErrorConfig, "%v", err)
		return s.end()
	}
	s.step.URL = resultURL(req.URL.String())
	s.step.HTTP = &result.HTTP{Request: result.HTTPRequest{Method: req.Method}}
	trace := sentTrace(req)

	resp, b, timings, failure := rn.fetch(clients, st.Request, req, s.start)
	rn.recordTrace(s, trace) // after the redirects, which it counts
	s.setTimings(timings)
	if failure != nil {
		s.fail(failure)
		return s.end()
	}
	env := newHTTPEnv(resp, b, timings, vars)
	s.step.HTTP.Response = rn.response(resp, env, b)
	if final := resp.Request.URL.String(); final != req.URL.String() {
		s.detail("final_url", final)
	}
	asserts := st.Assert
	if len(asserts) == 0 {
		asserts = []string{defaultHTTPAssert}
	}
	rn.assertAll(s, env, asserts)
	if s.step.Error == nil {
		rn.extractAll(s, env, st.Extract, vars)
	}
	return s.end()
}

// fetch sends req (following redirects as spec says) and reads the whole
// response, timing every phase from start.
func (rn *run) fetch(clients *clients, spec monitor.Request, req *http.Request, start time.Time) (*http.Response, body, monitor.Timings, *result.Error) {
	client, err := clients.get(spec)
	if err != nil {
		return nil, body{}, monitor.Timings{}, configError(err.Error())
	}
	tr := newTracer(start)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), tr.clientTrace()))
	resp, err := client.Do(req)
	if err != nil {
		return nil, body{}, tr.timings(time.Now()), rn.ioError(req.Method+" request", unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := readBody(resp.Body, bodyCap)
	timings := tr.timings(time.Now())
	if err != nil {
		return nil, body{}, timings, rn.ioError("read response body", err)
	}
	return resp, b, timings, nil
}

// extractAll evaluates extractions in name order so a failure is
// reproducible; values go to vars, only names to the result.
func (rn *run) extractAll(s *stepRun, env monitor.HTTPEnv, extract map[string]string, vars map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(extract)) {
		v, err := rn.r.extract(env, extract[name])
		if err != nil {
			s.failf(result.ErrorAssertion, "extract %q: %v", name, err)
			return
		}
		vars[name] = v
		s.step.Extracted = append(s.step.Extracted, name)
	}
}

func newHTTPEnv(resp *http.Response, b body, t monitor.Timings, vars map[string]string) monitor.HTTPEnv {
	return monitor.HTTPEnv{
		Status:  resp.StatusCode,
		Headers: headerMap(resp.Header),
		Body:    string(b.data),
		JSON:    decodeJSON(b.data),
		Size:    b.size,
		URL:     resp.Request.URL.String(),
		Timings: t,
		Vars:    maps.Clone(vars),
	}
}

// response keeps what the result shows of a response. The body is masked
// before it is cut, so a secret across the cut cannot leave a fragment.
func (rn *run) response(resp *http.Response, env monitor.HTTPEnv, b body) result.HTTPResponse {
	content := rn.masker.Mask(env.Body)
	kept, truncated := cutUTF8(content, rn.r.opts.BodyLimit)
	return result.HTTPResponse{
		StatusCode: resp.StatusCode,
		Headers:    rn.masker.MaskMap(env.Headers),
		MimeType:   mediaType(resp.Header.Get("Content-Type")),
		Body: result.Body{
			Bytes:     b.size,
			Content:   kept,
			Truncated: truncated || b.size > int64(len(b.data)),
		},
	}
}

// headerMap lower-cases names and joins repeated values.
func headerMap(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		out[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return out
}

// unwrapURLError drops the "Get \"url\":" prefix: the step already shows
// the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
