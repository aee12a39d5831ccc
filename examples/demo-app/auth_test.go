package demoapp

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	h := New(testOptions(t))
	tests := []struct {
		name, contentType, body string
		want                    int
	}{
		{"json", "application/json", `{"user":"demo","password":"demo-password"}`, http.StatusOK},
		{"form", "application/x-www-form-urlencoded", "user=demo&password=demo-password", http.StatusOK},
		{"wrong password", "application/json", `{"user":"demo","password":"nope"}`, http.StatusUnauthorized},
		{"wrong user", "application/json", `{"user":"root","password":"demo-password"}`, http.StatusUnauthorized},
		{"empty", "application/json", `{}`, http.StatusUnauthorized},
		{"malformed", "application/json", `{"user":`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "POST", "/api/login", tt.contentType, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			got := decode[map[string]string](t, rec.Body)
			if tt.want == http.StatusOK && len(got["token"]) < 20 {
				t.Fatalf("token %q", got["token"])
			}
			if tt.want != http.StatusOK && got["error"] == "" {
				t.Fatalf("no error message: %v", got)
			}
		})
	}
}

func TestLoginCustomPassword(t *testing.T) {
	opts := testOptions(t)
	opts.Password = "s3cret"
	h := New(opts)
	if rec := do(h, "POST", "/api/login", "application/json", `{"user":"demo","password":"demo-password"}`); rec.Code != http.StatusUnauthorized {
		t.Fatalf("default password accepted: %d", rec.Code)
	}
	if rec := do(h, "POST", "/api/login", "application/json", `{"user":"demo","password":"s3cret"}`); rec.Code != http.StatusOK {
		t.Fatalf("custom password refused: %d", rec.Code)
	}
}

func TestItemsRequireToken(t *testing.T) {
	h := New(testOptions(t))
	for _, auth := range []string{"", "Bearer ", "Bearer not-a-token", "Basic ZGVtbzpkZW1v"} {
		rec := do(h, "GET", "/api/items", "", "", "Authorization", auth)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: status %d", auth, rec.Code)
		}
	}

	token := login(t, h)
	rec := do(h, "GET", "/api/items", "", "", "Authorization", "Bearer "+token)
	if rec.Code != http.StatusOK {
		t.Fatalf("with token: status %d", rec.Code)
	}
	got := decode[struct{ Items []itemJSON }](t, rec.Body)
	if len(got.Items) != len(catalogue) {
		t.Fatalf("items %v", got.Items)
	}
	for _, it := range got.Items {
		if it.ID == 0 || it.Name == "" || it.Price <= 0 {
			t.Errorf("incomplete item %+v", it)
		}
	}
}

func TestTokensExpire(t *testing.T) {
	a := newApp(testOptions(t))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	h := a.routes()

	old := login(t, h)
	now = now.Add(tokenTTL + time.Second)
	if rec := do(h, "GET", "/api/items", "", "", "Authorization", "Bearer "+old); rec.Code != http.StatusUnauthorized {
		t.Fatalf("expired token: status %d", rec.Code)
	}
	fresh := login(t, h) // also prunes the expired one
	if _, kept := a.tokens[old]; kept || len(a.tokens) != 1 || fresh == old {
		t.Fatalf("tokens after pruning: %d, old kept %v", len(a.tokens), kept)
	}
}

func TestConcurrentLogins(t *testing.T) {
	h := New(testOptions(t))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			token := login(t, h)
			if rec := do(h, "GET", "/api/items", "", "", "Authorization", "Bearer "+token); rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
	wg.Wait()
}
