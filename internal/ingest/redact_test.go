package ingest

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
)

// TestHandleRedactsWithCachedHosts sends datagrams to hosts the handler
// has already seen (so their name, destination and routes come from the
// cache) with a secret in every place a datagram can carry one: no span
// keeps it.
func TestHandleRedactsWithCachedHosts(t *testing.T) {
	red := redact.MustNew(redact.Default())
	h, err := newHandler(DatagramOptions{Service: "shop", Node: "n", Filter: red.Span, Routes: []Route{
		{API: "stripe", Operation: "create charge", Method: "^POST$", Host: `stripe\.com$`, Path: "^/v1/charges"},
	}}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3ntinel-Secr3t-42"
	payloads := []string{
		"0\tPOST\tapi.stripe.com\t/v1/charges\t1",
		"0\tPOST\tapi.stripe.com\t/v1/charges?token=" + secret + "\t1",
		"0\tPOST\tapi.stripe.com\t/v1/charges?x=1&api%5Fkey=" + secret + "\t1",
		"0\tPOST\tapi.stripe.com\t/v1/charges?h=Bearer+" + secret + "\t1",
		"0\tPOST\tapi.stripe.com\t/v1/cards/4111111111111111\t1",
		"1\tPOST\thttps://api.stripe.com/v1/charges?password=" + secret + "\t1",
		"1\tGET\thttps://user:" + secret + "@api.stripe.com/v1/charges\t1",
		"0\tGET\thttps://u:" + secret + "@api.stripe.com\t/x\t1",
	}
	var batch []span.Span
	from := netip.MustParseAddrPort("127.0.0.1:1")
	for round := range 2 {
		for i, p := range payloads {
			h.handle([]byte(p), from, time.Unix(1_800_000_000, 0), uint64(round*100+i), &batch)
		}
	}
	if len(batch) != 2*len(payloads) {
		t.Fatalf("%d spans, want %d", len(batch), 2*len(payloads))
	}
	for i := range batch {
		b, err := json.Marshal(&batch[i])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) || strings.Contains(string(b), "4111111111111111") {
			t.Errorf("span %d keeps a secret: %s", i, b)
		}
	}
	if got := batch[1].Service.Target.Name; got != "stripe" || batch[1].Span.Action != "create charge" {
		t.Errorf("routed span: target %q action %q", got, batch[1].Span.Action)
	}
	if got := batch[4].Service.Target.Name; got != "api.stripe.com" {
		t.Errorf("unrouted path: target %q, want the host", got)
	}
}
