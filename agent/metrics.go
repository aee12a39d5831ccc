package agent

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/span"
)

// Metrics are the agent's own counters and the RED metrics of the traced
// services, named as Beyla and the OpenTelemetry semantic conventions name
// them so existing dashboards work.
type Metrics struct {
	Events       *prometheus.CounterVec // by type
	Bytes        prometheus.Counter     // bytes the traced syscalls moved
	Captured     prometheus.Counter     // bytes copied to user space
	Spans        *prometheus.CounterVec // by kind
	ParseErrors  *prometheus.CounterVec // by protocol, reason
	Dropped      *prometheus.CounterVec // spans or events dropped in user space, by reason
	Conns        prometheus.Gauge
	Unknown      *prometheus.CounterVec // connections of no known protocol, by port
	serverDur    *prometheus.HistogramVec
	clientDur    *prometheus.HistogramVec
	mu           sync.Mutex
	observers    map[redKey]prometheus.Observer
	maxSeries    int                // RED series with their own peer; beyond, peers fold into "other"
	peersFolded  prometheus.Counter // spans whose peer was folded
	evData       prometheus.Counter
	spansByKind  map[string]prometheus.Counter
	kernelSource func() (KernelStats, error)

	// TLS: files with the TLS uprobes, files that could not get them, and
	// TLS connections by how they were followed.
	TLSLibraries    *prometheus.GaugeVec // by kind: openssl, go
	TLSAttachErrors prometheus.Counter
	TLSConns        *prometheus.CounterVec
}

// redKey names one RED series: the peer is the client's address for a
// server, the server's address and port for a client (port 0 for a server:
// the label string is only made for a new series).
type redKey struct {
	kind, service, method, peerIP string
	peerPort, status              int
}

// NewMetrics registers the agent's metrics; kernel reads the programs'
// counters at scrape time.
func NewMetrics(reg prometheus.Registerer, kernel func() (KernelStats, error)) *Metrics {
	buckets := []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_events_total", Help: "Ring-buffer events read, by type.",
		}, []string{"type"}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_agent_stream_bytes_total", Help: "Bytes the traced socket syscalls moved.",
		}),
		Captured: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_agent_captured_bytes_total", Help: "Bytes copied from the kernel to the agent.",
		}),
		Spans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_spans_total", Help: "Spans built, by kind.",
		}, []string{"kind"}),
		ParseErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_parse_errors_total", Help: "Streams or messages the parsers gave up on, by protocol and reason.",
		}, []string{"protocol", "reason"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_dropped_total", Help: "Events or spans dropped in user space, by reason.",
		}, []string{"reason"}),
		Conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_agent_connections", Help: "Connections being followed.",
		}),
		Unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_unknown_protocol_connections_total", Help: "Connections whose protocol was not recognised, by local port.",
		}, []string{"port"}),
		TLSLibraries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_agent_tls_libraries", Help: "Files carrying the TLS plaintext uprobes, by kind: openssl (a libssl), go (a Go program's crypto/tls).",
		}, []string{"kind"}),
		TLSAttachErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_agent_tls_attach_errors_total", Help: "TLS library files the plaintext uprobes could not be attached to.",
		}),
		TLSConns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_tls_connections_total",
			Help: "TLS connections: followed in plaintext through the library uprobes, or seen encrypted only (their records ignored, no spans).",
		}, []string{"capture"}),
		serverDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_server_request_duration_seconds", Help: "Duration of HTTP requests the traced services answered.", Buckets: buckets,
		}, []string{"service_name", "http_request_method", "http_response_status_code", "client_address"}),
		clientDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_client_request_duration_seconds", Help: "Duration of HTTP requests the traced services sent.", Buckets: buckets,
		}, []string{"service_name", "http_request_method", "http_response_status_code", "server_address"}),
		peersFolded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_agent_red_peers_folded_total",
			Help: "Spans counted in the RED histograms under peer \"other\": the series limit was reached (many distinct clients or servers).",
		}),
		observers:    map[redKey]prometheus.Observer{},
		maxSeries:    DefaultREDSeries,
		kernelSource: kernel,
	}
	m.evData = m.Events.WithLabelValues("data")
	m.spansByKind = map[string]prometheus.Counter{
		span.KindServer: m.Spans.WithLabelValues(span.KindServer),
		span.KindClient: m.Spans.WithLabelValues(span.KindClient),
	}
	reg.MustRegister(m.Events, m.Bytes, m.Captured, m.Spans, m.ParseErrors, m.Dropped, m.Conns, m.Unknown, m.TLSLibraries, m.TLSAttachErrors, m.TLSConns, m.serverDur, m.clientDur, m.peersFolded)
	if kernel != nil {
		reg.MustRegister(kernelCollector{m})
	}
	return m
}

// ObserveSpan counts a span and feeds the RED histograms. Errors are the
// 5xx of servers and the 4xx/5xx of clients, read from the status label.
func (m *Metrics) ObserveSpan(s *span.Span) { m.observeSpan(s, nil) }

// redCache is a connection's last RED series: its spans mostly repeat it,
// so the series map and its lock are skipped.
type redCache struct {
	key redKey
	obs prometheus.Observer
}

// observeSpan is ObserveSpan with the connection's cache, if any.
func (m *Metrics) observeSpan(s *span.Span, cache *redCache) {
	m.spansByKind[s.Span.Kind].Inc()
	if s.HTTP == nil {
		return
	}
	k := redKey{kind: s.Span.Kind, service: s.Service.Name, method: redMethod(s.HTTP.Request.Method), status: s.HTTP.Response.StatusCode}
	if s.Span.Kind == span.KindServer {
		k.peerIP = s.Source.IP
	} else {
		k.peerIP, k.peerPort = s.Destination.IP, s.Destination.Port
	}
	var o prometheus.Observer
	if cache != nil && cache.obs != nil && cache.key == k {
		o = cache.obs
	} else {
		o = m.observer(k)
		if cache != nil {
			cache.key, cache.obs = k, o
		}
	}
	o.Observe(float64(s.Span.Duration.US) / float64(time.Second/time.Microsecond))
}

// DefaultREDSeries bounds the RED series that carry their own peer
// (agent.red_max_series): an internet-facing server sees a client address
// per visitor, and each series is a histogram held in memory and scraped.
const DefaultREDSeries = 2000

// SetREDSeries sets the bound on RED series with their own peer.
func (m *Metrics) SetREDSeries(n int) { m.maxSeries = n }

// observer is the series of k, made on first use. Once maxSeries exist, a
// new peer is counted under "other" (one series per service, method and
// status), so totals stay whole and memory bounded.
func (m *Metrics) observer(k redKey) prometheus.Observer {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.observers[k]
	if ok {
		return o
	}
	if len(m.observers) >= m.maxSeries {
		m.peersFolded.Inc()
		k.peerIP, k.peerPort = "other", 0
		if o, ok = m.observers[k]; ok {
			return o
		}
	}
	o = m.newObserver(k)
	m.observers[k] = o
	return o
}

// redMethod is the method label: the methods of RFC 9110 and PATCH, else
// "_OTHER" as OpenTelemetry's conventions say, so a client sending made-up
// methods cannot make series without end.
func redMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return m
	}
	return "_OTHER"
}

func (m *Metrics) newObserver(k redKey) prometheus.Observer {
	if k.kind == span.KindServer {
		return m.serverDur.WithLabelValues(k.service, k.method, strconv.Itoa(k.status), k.peerIP)
	}
	peer := k.peerIP
	if k.peerPort != 0 {
		peer += ":" + strconv.Itoa(k.peerPort)
	}
	return m.clientDur.WithLabelValues(k.service, k.method, strconv.Itoa(k.status), peer)
}

// kernelCollector exports the BPF programs' counters at scrape time.
type kernelCollector struct{ m *Metrics }

var (
	descKernelEvents = prometheus.NewDesc("vigil_agent_kernel_data_events_total", "Data events the BPF programs queued.", nil, nil)
	descRingDrops    = prometheus.NewDesc("vigil_agent_ringbuf_dropped_events_total", "Events lost because the ring buffer was full, by kind.", []string{"kind"}, nil)
	descDropBytes    = prometheus.NewDesc("vigil_agent_ringbuf_dropped_bytes_total", "Stream bytes whose data events were lost to a full ring buffer.", nil, nil)
	descKernelConns  = prometheus.NewDesc("vigil_agent_kernel_connections_total", "Connections the BPF programs began to follow.", nil, nil)
	descTLSEvents    = prometheus.NewDesc("vigil_agent_tls_plaintext_events_total", "Plaintext data events the TLS library uprobes queued.", nil, nil)
	descTLSBytes     = prometheus.NewDesc("vigil_agent_tls_plaintext_bytes_total", "Plaintext bytes the traced TLS library calls moved.", nil, nil)
	descTLSNoFD      = prometheus.NewDesc("vigil_agent_tls_unbound_calls_total", "TLS library calls whose socket was never seen (memory BIOs, calls before capture): their plaintext is lost.", nil, nil)
	descPreempted    = prometheus.NewDesc("vigil_agent_preempted_events_total", "Data events dropped in the kernel because a preempted program on the same CPU held the buffer they are built in (TLS uprobes; syscall tracepoints where faultable).", nil, nil)
	descTLSCipher    = prometheus.NewDesc("vigil_agent_tls_ciphertext_bytes_skipped_total", "Encrypted bytes of connections followed in plaintext, not copied.", nil, nil)
)

func (kernelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descKernelEvents, descRingDrops, descDropBytes, descKernelConns, descTLSEvents, descTLSBytes, descTLSNoFD, descTLSCipher, descPreempted} {
		ch <- d
	}
}

func (c kernelCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.m.kernelSource()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descKernelEvents, prometheus.CounterValue, float64(s.DataEvents))
	ch <- prometheus.MustNewConstMetric(descRingDrops, prometheus.CounterValue, float64(s.DataDrops), "data")
	ch <- prometheus.MustNewConstMetric(descRingDrops, prometheus.CounterValue, float64(s.CtrlDrops), "connection")
	ch <- prometheus.MustNewConstMetric(descDropBytes, prometheus.CounterValue, float64(s.DroppedBytes))
	ch <- prometheus.MustNewConstMetric(descKernelConns, prometheus.CounterValue, float64(s.Conns))
	ch <- prometheus.MustNewConstMetric(descTLSEvents, prometheus.CounterValue, float64(s.TLSEvents))
	ch <- prometheus.MustNewConstMetric(descTLSBytes, prometheus.CounterValue, float64(s.TLSBytes))
	ch <- prometheus.MustNewConstMetric(descTLSNoFD, prometheus.CounterValue, float64(s.TLSNoFD))
	ch <- prometheus.MustNewConstMetric(descTLSCipher, prometheus.CounterValue, float64(s.TLSCipherBytes))
	ch <- prometheus.MustNewConstMetric(descPreempted, prometheus.CounterValue, float64(s.Preempted))
}
