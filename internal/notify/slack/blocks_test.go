package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/internal/notify"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

func firingEvent() notify.Event {
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	return notify.Event{
		Kind: notify.KindFiring, IncidentID: "inc-7f3a", Rule: "checkout-failing", Severity: "critical",
		Summary: "checkout is failing in eu-west (3 of 3 runs)",
		Group:   map[string]string{"monitor": "checkout", "location": "eu-west", "env": "prod"},
		Monitor: "checkout", Location: "eu-west", FailingStep: "pay",
		Error:     `POST https://shop.example/api/pay: 503 Service Unavailable <html>upstream connect error</html>`,
		Assertion: "`status == 200` (got 503)",
		Confirmed: true, Commit: "4f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e",
		RunURL: "https://vigil.example/runs/01HQ", WorkflowURL: "https://temporal.example/namespaces/default/workflows/incident-inc-7f3a",
		SlowestSpan: &notify.Span{Service: "payments", Name: "POST /charge", Duration: 2310 * time.Millisecond, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
		StartedAt:   start, At: start,
	}
}

func TestBlocksGolden(t *testing.T) {
	fire := firingEvent()
	reminder := fire
	reminder.Kind, reminder.Seq, reminder.At = notify.KindReminder, 2, fire.StartedAt.Add(65*time.Minute)
	ack := fire
	ack.Kind, ack.By, ack.At = notify.KindAcknowledged, "alice", fire.StartedAt.Add(4*time.Minute)
	resolved := fire
	resolved.Kind, resolved.By, resolved.At = notify.KindResolved, "", fire.StartedAt.Add(12*time.Minute+5*time.Second)
	minimal := notify.Event{Kind: notify.KindFiring, Rule: "dns-down", Summary: "dns is failing"}
	huge := fire
	huge.Summary = strings.Repeat("界", 200)
	huge.Error = strings.Repeat("&<", 2000) + "```" + strings.Repeat("é", 2000)
	huge.Monitor = strings.Repeat("m", 3000)
	huge.RunURL = "https://vigil.example/" + strings.Repeat("r", 3000)

	tests := map[string]notify.Event{
		"firing": fire, "reminder": reminder, "acknowledged": ack, "resolved": resolved, "minimal": minimal, "huge": huge,
	}
	for name, ev := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep &lt; and <!date> readable in the golden files
			enc.SetIndent("", "  ")
			if err := enc.Encode(Blocks(ev)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if string(got) != string(want) {
				t.Errorf("Blocks(%s) differs from %s (go test -update rewrites it):\n%s", name, path, got)
			}
		})
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name, prefix, value, suffix string
		limit                       int
		want                        string
	}{
		{name: "fits", prefix: "*E*\n", value: "a<b", limit: 20, want: "*E*\na&lt;b"},
		{name: "cut before entity", value: "abc<def", limit: 6, want: "abc…"},
		{name: "multibyte", value: "ééééé", limit: 3, want: "éé…"},
		{name: "astral counts twice", value: "🔴🔴🔴", limit: 4, want: "🔴…"},
		{name: "suffix kept", prefix: "```", value: strings.Repeat("x", 10), suffix: "```", limit: 10, want: "```xxx…```"},
		{name: "invalid utf-8 replaced", value: "a\xffb", limit: 10, want: "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fitMrkdwn(tt.prefix, tt.value, tt.suffix, tt.limit)
			if got != tt.want {
				t.Fatalf("fitMrkdwn = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) || textLen(got) > tt.limit {
				t.Fatalf("fitMrkdwn = %q: invalid UTF-8 or over %d", got, tt.limit)
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 12*time.Minute + 5*time.Second: "12m 5s", time.Hour: "1h",
		65 * time.Minute: "1h 5m", 49*time.Hour + 30*time.Minute: "2d 1h",
	}
	for d, want := range tests {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
