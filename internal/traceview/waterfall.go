package traceview

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// width is the waterfall's bar width in characters.
const width = 40

// Write renders the trace as a text waterfall: one line per span, indented
// by depth, a bar placed on the trace's time axis, the critical path
// starred.
func Write(w io.Writer, t Trace) error {
	if _, err := fmt.Fprintf(w, "trace %s: %d spans, %s, started %s\n", t.ID, t.Spans, t.Duration.Round(time.Microsecond),
		t.Start.Local().Format("2006-01-02 15:04:05.000")); err != nil {
		return err
	}
	var walk func(n *Node) error
	walk = func(n *Node) error {
		s := n.Span
		off := s.Timestamp.Sub(t.Start)
		d := time.Duration(s.Span.Duration.US) * time.Microsecond
		mark := " "
		if n.Critical {
			mark = "*"
		}
		label := strings.Repeat("  ", n.Depth) + s.Service.Name + " " + s.Span.Kind + " " + s.Span.Name
		if s.Event.Outcome == "failure" {
			label += " [failed]"
		}
		if _, err := fmt.Fprintf(w, "%s %-60s %s %9s +%s\n", mark, clip(label, 60), bar(off, d, t.Duration), d.Round(time.Microsecond), off.Round(time.Microsecond)); err != nil {
			return err
		}
		for _, c := range n.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range t.Roots {
		if err := walk(r); err != nil {
			return err
		}
	}
	for _, sv := range t.Services {
		if _, err := fmt.Fprintf(w, "  service %s: %d spans, %d failed, %s\n", sv.Name, sv.Spans, sv.Errors, sv.Duration.Round(time.Microsecond)); err != nil {
			return err
		}
	}
	return nil
}

func bar(off, d, total time.Duration) string {
	if total <= 0 {
		return "|" + strings.Repeat("=", width) + "|"
	}
	from := int(float64(width) * float64(off) / float64(total))
	n := max(1, int(float64(width)*float64(d)/float64(total)))
	from = min(from, width-1)
	n = min(n, width-from)
	return "|" + strings.Repeat(" ", from) + strings.Repeat("=", n) + strings.Repeat(" ", width-from-n) + "|"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
