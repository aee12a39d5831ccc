package browser

import (
	"encoding/json"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
)

// HAR 1.2 document, only the parts we fill.
type harDoc struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string         `json:"version"`
	Creator harNameVersion `json:"creator"`
	Pages   []harPageJSON  `json:"pages"`
	Entries []harEntry     `json:"entries"`
}

type harNameVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPageJSON struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     harPageTimings `json:"pageTimings"`
}

type harPageTimings struct {
	OnContentLoad *float64 `json:"onContentLoad,omitempty"`
	OnLoad        *float64 `json:"onLoad,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	PageRef         string      `json:"pageref,omitempty"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress,omitempty"`
	ResourceType    string      `json:"_resourceType,omitempty"`
	Error           string      `json:"_error,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	Cookies     []harNV      `json:"cookies"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int64        `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int64      `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int64      `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

type harContent struct {
	Size      int64  `json:"size"`
	MimeType  string `json:"mimeType"`
	Text      string `json:"text,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	Truncated bool   `json:"_truncated,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// Header values never copied into the HAR, whatever the journey's secrets.
var redactedHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

func creatorVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// buildHAR renders what h recorded; the caller holds the collector's lock.
func buildHAR(h *harRecorder, m masker) ([]byte, error) {
	doc := harDoc{Log: harLog{Version: "1.2", Creator: harNameVersion{"vigil", creatorVersion()},
		Pages: []harPageJSON{}, Entries: []harEntry{}}}
	for _, p := range h.pages {
		pj := harPageJSON{StartedDateTime: harTime(p.started), ID: p.id, Title: maskHAR(m, p.title)}
		if p.onContentLoad >= 0 {
			pj.PageTimings.OnContentLoad = &p.onContentLoad
		}
		if p.onLoad >= 0 {
			pj.PageTimings.OnLoad = &p.onLoad
		}
		doc.Log.Pages = append(doc.Log.Pages, pj)
	}
	for _, r := range h.recs {
		wreq, wresp := r.wireReq, r.wireResp
		if wreq == nil && wresp == nil {
			wreq, wresp = h.extraReq[r.id], h.extraResp[r.id]
		}
		doc.Log.Entries = append(doc.Log.Entries, buildEntry(r, wreq, wresp, m))
	}
	return json.Marshal(doc)
}

func buildEntry(r *harRec, wireReq, wireResp network.Headers, m masker) harEntry {
	e := harEntry{PageRef: r.page, StartedDateTime: harTime(r.wall), ResourceType: string(r.typ),
		Error: maskHAR(m, r.errText)}
	reqHeaders := r.req.Headers
	if r.resp != nil && len(r.resp.RequestHeaders) > 0 {
		reqHeaders = r.resp.RequestHeaders
	}
	if len(wireReq) > 0 {
		reqHeaders = wireReq
	}
	e.Request = harRequest{
		Method: r.req.Method, URL: maskHAR(m, r.req.URL+r.req.URLFragment), HTTPVersion: "",
		Headers: harHeaders(reqHeaders, m), QueryString: queryString(r.req.URL, m),
		Cookies: cookies(headerValues(reqHeaders, "cookie"), "; ", m), HeadersSize: -1,
	}
	if post := postData(r.req); post != "" {
		e.Request.PostData = &harPostData{MimeType: headerValue(reqHeaders, "content-type"), Text: maskHAR(m, post)}
		e.Request.BodySize = int64(len(post))
	}
	e.Response = harResponse{Headers: []harNV{}, Cookies: []harNV{}, HeadersSize: -1, BodySize: -1,
		Content: harContent{Size: 0, MimeType: "x-unknown"}}
	e.Timings = harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
	if r.end > r.start {
		e.Timings.Blocked = ms(r.end - r.start) // no breakdown without a response
	}
	if resp := r.resp; resp != nil {
		respHeaders := resp.Headers
		if len(wireResp) > 0 {
			respHeaders = wireResp
		}
		ver := httpVersion(resp.Protocol)
		e.Request.HTTPVersion = ver
		e.Response = harResponse{
			Status: resp.Status, StatusText: resp.StatusText, HTTPVersion: ver,
			Headers: harHeaders(respHeaders, m), Cookies: cookies(headerValues(respHeaders, "set-cookie"), "\n", m),
			Content:     harContent{Size: r.decoded, MimeType: resp.MimeType},
			RedirectURL: maskHAR(m, headerValue(respHeaders, "location")), HeadersSize: -1, BodySize: int64(r.encoded),
		}
		if r.bodyFetched {
			e.Response.Content.Size = int64(len(r.body))
			text, trunc := bodyText(r.body, m)
			if utf8.ValidString(text) {
				e.Response.Content.Text, e.Response.Content.Truncated = text, trunc
			}
		}
		if resp.RemoteIPAddress != "" {
			e.ServerIPAddress = strings.Trim(resp.RemoteIPAddress, "[]")
		}
		if resp.Timing != nil {
			e.Timings = timings(resp.Timing, r.start, r.end)
		}
	}
	if e.Request.HTTPVersion == "" {
		e.Request.HTTPVersion, e.Response.HTTPVersion = "HTTP/1.1", "unknown"
	}
	for _, v := range []float64{e.Timings.Blocked, e.Timings.DNS, e.Timings.Connect, e.Timings.Send, e.Timings.Wait, e.Timings.Receive} {
		if v > 0 {
			e.Time += v // ssl is part of connect
		}
	}
	e.Time = round3(e.Time)
	return e
}

// timings follows DevTools' HAR export: offsets in t are ms after
// t.RequestTime, -1 when a phase did not happen.
func timings(t *network.ResourceTiming, issued, end float64) harTimings {
	span := func(a, b float64) float64 {
		if a < 0 || b < a {
			return -1
		}
		return round3(b - a)
	}
	h := harTimings{DNS: span(t.DNSStart, t.DNSEnd), Connect: span(t.ConnectStart, t.ConnectEnd), SSL: span(t.SslStart, t.SslEnd)}
	queued := max(0, (t.RequestTime-issued)*1e3)
	first := t.SendStart
	for _, v := range []float64{t.ConnectStart, t.DNSStart} {
		if v >= 0 {
			first = v
		}
	}
	h.Blocked = round3(queued + max(0, first))
	h.Send = max(0, span(t.SendStart, t.SendEnd))
	h.Wait = max(0, span(t.SendEnd, t.ReceiveHeadersEnd))
	if end > 0 {
		h.Receive = round3(max(0, (end-t.RequestTime)*1e3-t.ReceiveHeadersEnd))
	}
	return h
}

func harHeaders(h network.Headers, m masker) []harNV {
	out := []harNV{}
	for k, v := range h {
		s, _ := v.(string)
		if redactedHeaders[strings.ToLower(k)] {
			s = secretMask
		}
		out = append(out, harNV{Name: k, Value: maskHAR(m, s)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func headerValue(h network.Headers, name string) string {
	vs := headerValues(h, name)
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func headerValues(h network.Headers, name string) []string {
	var out []string
	for k, v := range h {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			out = append(out, s)
		}
	}
	return out
}

// cookies keeps names only; values are always "***".
func cookies(vals []string, sep string, m masker) []harNV {
	out := []harNV{}
	for _, v := range vals {
		for c := range strings.SplitSeq(v, sep) {
			if sep == "\n" { // Set-Cookie: the name is before the first '='
				c, _, _ = strings.Cut(c, ";")
			}
			name, _, ok := strings.Cut(strings.TrimSpace(c), "=")
			if ok && name != "" {
				out = append(out, harNV{Name: maskHAR(m, name), Value: secretMask})
			}
		}
	}
	return out
}

func queryString(raw string, m masker) []harNV {
	out := []harNV{}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	for kv := range strings.SplitSeq(u.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		out = append(out, harNV{Name: maskHAR(m, k), Value: maskHAR(m, v)})
	}
	return out
}

func postData(r *network.Request) string {
	var b strings.Builder
	for _, e := range r.PostDataEntries {
		b.Write(e.Bytes)
	}
	return b.String()
}

func httpVersion(p string) string {
	switch strings.ToLower(p) {
	case "":
		return ""
	case "h2":
		return "HTTP/2"
	case "h3":
		return "HTTP/3"
	}
	return strings.ToUpper(p)
}

func harTime(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// bodyText masks then caps a body, trimming any partial secret at the cut.
func bodyText(b []byte, m masker) (string, bool) {
	s := maskHAR(m, string(b))
	if len(s) <= maxBodyText {
		return s, false
	}
	return capMasked(s, maxBodyText, m), true
}

// capMasked cuts s to n bytes on a rune boundary without leaving a secret's prefix.
func capMasked(s string, n int, m masker) string {
	if n < len(s) {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	for _, v := range m.secrets {
		for k := len(v) - 1; k > 0; k-- {
			if strings.HasSuffix(s, v[:k]) {
				s = s[:len(s)-k]
				break
			}
		}
	}
	return s
}

// maskHAR also catches secrets as they travel in URLs, forms and JSON.
func maskHAR(m masker, s string) string {
	s = m.mask(s)
	for _, v := range m.secrets {
		q, _ := json.Marshal(v)
		for _, form := range []string{url.QueryEscape(v), url.PathEscape(v), strings.Trim(string(q), `"`)} {
			if form != v && form != "" {
				s = strings.ReplaceAll(s, form, secretMask)
			}
		}
	}
	return s
}
