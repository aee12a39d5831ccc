package workflows

import (
	"testing"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
)

// Browser journeys go to their location's browser queue, whose worker hosts
// a bounded number of browsers; every other check to the check queue.
func TestCheckQueueByType(t *testing.T) {
	cases := []struct {
		typ, want string
	}{
		{monitor.TypeHTTP, "vigil-checks-office"},
		{monitor.TypeTCP, "vigil-checks-office"},
		{monitor.TypeBrowser, "vigil-browsers-office"},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			in := contract.MonitorRunInput{Monitor: monitor.Monitor{ID: "m", Type: tc.typ}}
			if got := checkActivityOptions(in, "office").TaskQueue; got != tc.want {
				t.Errorf("task queue %q, want %q", got, tc.want)
			}
		})
	}
}
