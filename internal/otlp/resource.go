package otlp

import (
	"path"

	"github.com/vigil-dev/vigil/internal/span"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// resourceInfo is what a resource gives each of its spans, converted once.
type resourceInfo struct {
	// attrs is every span's OTel.Resource, one map: read-only once
	// converted, but for the handler's filter (see Handler.filter).
	attrs              map[string]any
	truncated, dropped int // what the limits cut from attrs
	service            span.Service
	process            span.Process
	containerID        string
	podUID, k8sName    string
}

func (c *converter) resource(rs *tracepb.ResourceSpans) resourceInfo {
	a := attrConv{lim: c.lim}
	attrs, over := a.attributes(rs.GetResource().GetAttributes(), 0)
	var m semAttrs
	m.fromMap(attrs)
	r := resourceInfo{attrs: attrs, truncated: a.truncated, dropped: a.dropped + over}
	r.describe(&m)
	return r
}

// describe sets what the resource's attributes m say of its spans.
func (r *resourceInfo) describe(m *semAttrs) {
	r.containerID = m.str(kContainerID)
	r.podUID = m.str(kK8sPodUID)
	r.k8sName = m.str(kK8sContainerName)
	r.process.Executable = m.str(kProcessExecutablePath, kProcessExecutableName)
	r.process.Name = m.str(kProcessExecutableName)
	if r.process.Name == "" && r.process.Executable != "" {
		r.process.Name = path.Base(r.process.Executable)
	}
	if pid, ok := m.int(kProcessPID); ok && pid > 0 && pid <= 1<<31-1 {
		r.process.PID = int(pid)
	}
	r.service.Name = m.str(kServiceName)
	if r.service.Name == "" {
		// the SDK specification's fallback for a missing service.name
		r.service.Name = "unknown_service"
		if exe := m.str(kProcessExecutableName); exe != "" {
			r.service.Name += ":" + exe
		}
	}
	r.service.Node.Name = m.str(kHostName)
}

// place sets the span's container and Kubernetes fields, fresh for each
// span since Filter may change them.
func (r *resourceInfo) place(s *span.Span) {
	if r.containerID != "" {
		s.Container = &span.Container{ID: r.containerID}
	}
	if r.podUID != "" || r.k8sName != "" {
		s.Kubernetes = &span.Kubernetes{
			Pod:       span.KubernetesPod{UID: r.podUID},
			Container: span.KubernetesContainer{Name: r.k8sName},
		}
	}
}
