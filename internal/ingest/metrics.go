package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/protocol/datagram"
)

// register exposes the inputs' counters, read from their stats when
// scraped, so the hot paths keep plain atomics.
func (s *Service) register(reg prometheus.Registerer) error {
	var cs []prometheus.Collector
	if s.datagram != nil {
		st := s.datagram.stats
		cs = append(cs,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigil_ingest_datagrams_received_total",
				Help: "Datagrams read from the socket."}, func() float64 { return float64(st.received.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigil_ingest_datagrams_accepted_total",
				Help: "Datagrams turned into spans."}, func() float64 { return float64(st.accepted.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigil_ingest_datagrams_socket_dropped_total",
				Help: "Datagrams the kernel dropped because the socket buffer was full."}, func() float64 { return float64(st.kernelDrops.Load()) }),
		)
		for _, r := range datagram.Reasons() {
			cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigil_ingest_datagrams_rejected_total",
				Help: "Datagrams rejected, by reason.", ConstLabels: prometheus.Labels{"reason": string(r)}},
				func() float64 { return float64(st.snapshot().Rejected[r]) }))
		}
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
