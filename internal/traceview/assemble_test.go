package traceview

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sp(id, parent, service, name string, start, dur time.Duration, failed bool) span.Span {
	s := span.Span{ID: "doc-" + id, Timestamp: t0.Add(start), Trace: span.Trace{ID: "t1"},
		Span:    span.Info{ID: id, Kind: span.KindServer, Name: name, Duration: span.Micros{US: dur.Microseconds()}},
		Service: span.Service{Name: service}, Event: span.Event{Outcome: span.OutcomeSuccess}}
	if parent != "" {
		s.Parent = &span.Parent{ID: parent}
	}
	if failed {
		s.Event.Outcome = span.OutcomeFailure
	}
	return s
}

func TestAssemble(t *testing.T) {
	ms := time.Millisecond
	spans := []span.Span{
		sp("db", "orders", "postgres", "SELECT", 30*ms, 40*ms, false),
		sp("gw", "", "gateway", "GET /checkout", 0, 100*ms, false),
		sp("orders", "gw", "orders", "GET /orders", 10*ms, 70*ms, false),
		sp("cache", "gw", "cache", "GET", 5*ms, 2*ms, true),
		sp("lost", "not-captured", "mailer", "POST /mail", 50*ms, 10*ms, false),
	}
	tr := Assemble(spans)
	if tr.ID != "t1" || tr.Spans != 5 || tr.Duration != 100*ms || !tr.Start.Equal(t0) {
		t.Fatalf("trace %s, %d spans, %s from %s", tr.ID, tr.Spans, tr.Duration, tr.Start)
	}
	if len(tr.Roots) != 2 || tr.Roots[0].Span.Span.ID != "gw" || tr.Roots[1].Span.Span.ID != "lost" {
		t.Fatalf("roots %v, want gw then the orphan", ids(tr.Roots))
	}
	gw := tr.Roots[0]
	if got := ids(gw.Children); strings.Join(got, ",") != "cache,orders" {
		t.Fatalf("gateway's children %v, want in start order", got)
	}
	var critical []string
	for n := gw; n != nil; {
		critical = append(critical, n.Span.Span.ID)
		var next *Node
		for _, c := range n.Children {
			if c.Critical {
				next = c
			}
		}
		n = next
	}
	if strings.Join(critical, ">") != "gw>orders>db" {
		t.Fatalf("critical path %v, want gw>orders>db", critical)
	}
	if tr.Services[0].Name != "gateway" || tr.Services[len(tr.Services)-1].Name != "cache" || tr.Services[len(tr.Services)-1].Errors != 1 {
		t.Fatalf("services %+v", tr.Services)
	}
	var b bytes.Buffer
	if err := Write(&b, tr); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"trace t1: 5 spans, 100ms", "* gateway server GET /checkout", "*     postgres server SELECT", "cache server GET [failed]", "service gateway: 1 spans, 0 failed, 100ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("waterfall lacks %q:\n%s", want, out)
		}
	}
}

func ids(ns []*Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Span.Span.ID)
	}
	return out
}

func TestAssembleEmpty(t *testing.T) {
	if tr := Assemble(nil); tr.Spans != 0 || len(tr.Roots) != 0 {
		t.Fatalf("empty trace %+v", tr)
	}
}
