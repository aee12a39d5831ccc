package storetest

import (
	"time"

	"github.com/vigil-dev/vigil/internal/result"
)

// Base is a fixed @timestamp the suite builds on: microseconds set, UTC.
var Base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// NewResult returns a result with every field set (nested steps, timings,
// assertions, details), taken at `at`, for tests and benchmarks of stores.
// Vigil.StoredAt is left nil: stores set it.
func NewResult(id, monitorID string, at time.Time) result.Result {
	at = at.UTC()
	scheduled := at.Add(-250 * time.Millisecond)
	started := at.Add(-200 * time.Millisecond)
	return result.Result{
		ID:        id,
		Timestamp: at,
		Monitor: result.Monitor{
			ID:         monitorID,
			Name:       "Monitor " + monitorID,
			Type:       "http",
			Status:     result.StatusDown,
			CheckGroup: "group-" + id,
			Duration:   result.Micros{US: 200_123},
			Timespan:   result.Timespan{GTE: at, LT: at.Add(time.Minute)},
		},
		Observer: result.Observer{Name: "local", Hostname: "worker-1", Geo: result.Geo{Name: "local"}},
		Summary:  result.Summary{Up: 1, Down: 1},
		URL:      &result.URL{Full: "https://shop.example:8443/cart?x=1", Scheme: "https", Domain: "shop.example", Port: 8443, Path: "/cart"},
		Error:    &result.Error{Type: result.ErrorAssertion, Message: "status == 200: got 500"},
		Tags:     []string{"team:shop", "prod"},
		Steps:    []result.Step{upStep(), downStep()},
		Vigil: result.Vigil{
			WorkflowID:  "vigil-monitor/" + monitorID,
			RunID:       "run-" + id,
			Attempt:     2,
			Confirmed:   true,
			Commit:      "0123456789abcdef0123456789abcdef01234567",
			SourceFile:  "monitors/" + monitorID + ".yaml",
			ScheduledAt: &scheduled,
			StartedAt:   started,
			FinishedAt:  at,
		},
	}
}

func upStep() result.Step {
	return result.Step{
		Synthetics: result.StepSynthetics{Type: "step/end", Step: result.StepInfo{
			Index: 1, Name: "login", Status: result.StatusUp, Duration: result.Micros{US: 120_000},
		}},
		URL: &result.URL{Full: "https://shop.example:8443/login", Scheme: "https", Domain: "shop.example", Port: 8443, Path: "/login"},
		HTTP: &result.HTTP{
			Request: result.HTTPRequest{Method: "POST"},
			Response: result.HTTPResponse{
				StatusCode: 200,
				Headers:    map[string]string{"Content-Type": "application/json", "X-Request-Id": "abc"},
				Body:       result.Body{Bytes: 4096, Content: `{"token":"…"}`, Truncated: true},
				MimeType:   "application/json",
			},
		},
		Timings: result.Timings{
			DNS: result.Micros{US: 1_200}, Connect: result.Micros{US: 3_400}, TLS: result.Micros{US: 15_600},
			FirstByte: result.Micros{US: 80_000}, Total: result.Micros{US: 120_000},
		},
		Assertions: []result.Assertion{{Expression: "status == 200", Passed: true}},
		Extracted:  []string{"token"},
	}
}

func downStep() result.Step {
	return result.Step{
		Synthetics: result.StepSynthetics{Type: "step/end", Step: result.StepInfo{
			Index: 2, Name: "cart", Status: result.StatusDown, Duration: result.Micros{US: 80_123},
		}},
		HTTP: &result.HTTP{
			Request:  result.HTTPRequest{Method: "GET"},
			Response: result.HTTPResponse{StatusCode: 500, Body: result.Body{Bytes: 12, Content: "server error"}},
		},
		Timings: result.Timings{FirstByte: result.Micros{US: 70_000}, Total: result.Micros{US: 80_123}},
		Assertions: []result.Assertion{
			{Expression: "status == 200", Passed: false, Message: "got 500"},
			{Expression: "duration < 1000", Passed: true},
		},
		Error: &result.Error{Type: result.ErrorAssertion, Message: "status == 200: got 500"},
		// JSON-native values only: any store hands back float64 for numbers.
		Details: map[string]any{
			"addresses": []any{"192.0.2.1", "2001:db8::1"},
			"retry":     false,
			"size":      12.5,
			"nested":    map[string]any{"k": "v"},
		},
	}
}
