package spool

import "github.com/prometheus/client_golang/prometheus"

var (
	descBytes = prometheus.NewDesc("vigil_agent_spool_bytes",
		"Bytes of span batches spooled on disk.", nil, nil)
	descSpans = prometheus.NewDesc("vigil_agent_spool_spans",
		"Spans spooled on disk and not yet accepted by the store.", nil, nil)
	descSegments = prometheus.NewDesc("vigil_agent_spool_segments",
		"Segment files in the spool directory.", nil, nil)
	descWritten = prometheus.NewDesc("vigil_agent_spool_written_spans_total",
		"Spans the store accepted, directly or drained from the spool.", nil, nil)
	descDropped = prometheus.NewDesc("vigil_agent_spool_dropped_spans_total",
		"Spans lost by the spool, by reason (spool_full, unreadable).", []string{"reason"}, nil)
	descCorrupt = prometheus.NewDesc("vigil_agent_spool_corrupt_records_total",
		"Spooled records skipped because their checksum or content was bad.", nil, nil)
	descStoreErrors = prometheus.NewDesc("vigil_agent_spool_store_errors_total",
		"Failed writes to the store, direct or while draining.", nil, nil)
)

// Collector exposes Stats as Prometheus metrics; register it once.
func (s *Spool) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Spool }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBytes, descSpans, descSegments, descWritten, descDropped, descCorrupt, descStoreErrors} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(st.SpooledBytes))
	ch <- prometheus.MustNewConstMetric(descSpans, prometheus.GaugeValue, float64(st.SpooledSpans))
	ch <- prometheus.MustNewConstMetric(descSegments, prometheus.GaugeValue, float64(st.Segments))
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(st.WrittenSpans))
	for reason, n := range st.DroppedBy {
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(descCorrupt, prometheus.CounterValue, float64(st.CorruptRecords))
	ch <- prometheus.MustNewConstMetric(descStoreErrors, prometheus.CounterValue, float64(st.StoreErrors))
}
