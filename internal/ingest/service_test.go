package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

const sentinel = "s3ntinel-Secr3t-42"

// flakyStore fails every write while down is set, like a store that is
// unreachable for a while.
type flakyStore struct {
	*sqlite.Store
	down atomic.Bool
}

func (f *flakyStore) WriteSpans(ctx context.Context, spans []span.Span) error {
	if f.down.Load() {
		return errors.New("store unreachable")
	}
	return f.Store.WriteSpans(ctx, spans)
}

// TestServiceRedactsAndKeepsEverything sends datagrams and an OTLP request
// carrying a sentinel secret while the store is down, then brings the store
// back: every span is stored, and the secret is in none of the store, the
// spool files or the logs.
func TestServiceRedactsAndKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: quietLog()})
	require.NoError(t, err)
	defer st.Close()
	flaky := &flakyStore{Store: st}
	flaky.down.Store(true)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	red := redact.MustNew(redact.Default())
	svc, err := Start(context.Background(), ServiceOptions{
		Datagram: DatagramOptions{Addr: "127.0.0.1:0", Service: "shop", BatchInterval: 20 * time.Millisecond, RedactText: red.URLText},
		Listen:   "127.0.0.1:0",
		SpoolDir: filepath.Join(dir, "spool"),
		Filter:   red.Span,
	}, flaky, log)
	require.NoError(t, err)

	conn, err := net.Dial("udp", svc.DatagramAddr())
	require.NoError(t, err)
	for i := range 10 {
		_, err := fmt.Fprintf(conn, "1\tGET\thttps://api.example.com/v1/items/%d?token=%s\t12.5\n", i, sentinel)
		require.NoError(t, err)
	}
	_, err = fmt.Fprintf(conn, "7\tGET\thttps://api.example.com/?token=%s\t1\n", sentinel) // rejected, and logged
	require.NoError(t, err)
	conn.Close()

	body := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
		"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"POST /pay",
		"kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
		"attributes":[{"key":"http.request.header.authorization","value":{"stringValue":"Bearer %s"}},
		{"key":"url.full","value":{"stringValue":"https://shop/pay?api_key=%s"}}]}]}]}]}`, sentinel, sentinel)
	resp, err := http.Post("http://"+svc.HTTPAddr()+"/v1/traces", "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "accepted: spooled while the store is down")

	require.Eventually(t, func() bool { return svc.SpoolStats().SpooledSpans == 11 }, 10*time.Second, 20*time.Millisecond)
	requireAbsentFromFiles(t, filepath.Join(dir, "spool"))

	flaky.down.Store(false)
	require.Eventually(t, func() bool {
		got, err := st.ListSpans(context.Background(), store.SpanQuery{Limit: 100})
		return err == nil && len(got) == 11
	}, 30*time.Second, 50*time.Millisecond)
	require.NoError(t, svc.Stop())

	got, err := st.ListSpans(context.Background(), store.SpanQuery{Limit: 100})
	require.NoError(t, err)
	for _, sp := range got {
		doc := sp.AppendJSON(nil)
		require.NotContains(t, string(doc), sentinel, "stored span %s", sp.ID)
	}
	require.NoError(t, st.Close())
	requireAbsentFromFiles(t, dir)
	require.NotContains(t, logs.String(), sentinel)
	require.Contains(t, logs.String(), "datagram rejected")
	require.Equal(t, uint64(1), svc.DatagramStats().Rejected["unknown_version"])
}

// requireAbsentFromFiles reads every file under dir (store, WAL, spool).
func requireAbsentFromFiles(t *testing.T, dir string) {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		require.False(t, bytes.Contains(data, []byte(sentinel)), "%s holds the secret", path)
		return nil
	}))
	require.Positive(t, n)
}
