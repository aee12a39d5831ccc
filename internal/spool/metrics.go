package spool

import "github.com/prometheus/client_golang/prometheus"

// descs are the spool's metric descriptions; input ("agent", "ingest")
// tells the spools of one process apart.
type descs struct {
	bytes, spans, segments, written, dropped, corrupt, storeErrors *prometheus.Desc
}

func newDescs(input string) descs {
	l := prometheus.Labels{"input": input}
	return descs{
		bytes:    prometheus.NewDesc("vigil_spool_bytes", "Bytes of span batches spooled on disk.", nil, l),
		spans:    prometheus.NewDesc("vigil_spool_spans", "Spans spooled on disk and not yet accepted by the store.", nil, l),
		segments: prometheus.NewDesc("vigil_spool_segments", "Segment files in the spool directory.", nil, l),
		written: prometheus.NewDesc("vigil_spool_written_spans_total",
			"Spans the store accepted, directly or drained from the spool.", nil, l),
		dropped: prometheus.NewDesc("vigil_spool_dropped_spans_total",
			"Spans lost by the spool, by reason (spool_full, unreadable).", []string{"reason"}, l),
		corrupt: prometheus.NewDesc("vigil_spool_corrupt_records_total",
			"Spooled records skipped because their checksum or content was bad.", nil, l),
		storeErrors: prometheus.NewDesc("vigil_spool_store_errors_total",
			"Failed writes to the store, direct or while draining.", nil, l),
	}
}

// Collector exposes Stats as Prometheus metrics labelled with input; register
// it once.
func (s *Spool) Collector(input string) prometheus.Collector { return collector{s, newDescs(input)} }

type collector struct {
	s *Spool
	d descs
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.d.bytes, c.d.spans, c.d.segments, c.d.written, c.d.dropped, c.d.corrupt, c.d.storeErrors} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(c.d.bytes, prometheus.GaugeValue, float64(st.SpooledBytes))
	ch <- prometheus.MustNewConstMetric(c.d.spans, prometheus.GaugeValue, float64(st.SpooledSpans))
	ch <- prometheus.MustNewConstMetric(c.d.segments, prometheus.GaugeValue, float64(st.Segments))
	ch <- prometheus.MustNewConstMetric(c.d.written, prometheus.CounterValue, float64(st.WrittenSpans))
	for reason, n := range st.DroppedBy {
		ch <- prometheus.MustNewConstMetric(c.d.dropped, prometheus.CounterValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(c.d.corrupt, prometheus.CounterValue, float64(st.CorruptRecords))
	ch <- prometheus.MustNewConstMetric(c.d.storeErrors, prometheus.CounterValue, float64(st.StoreErrors))
}
