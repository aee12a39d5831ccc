package secrets

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFromEnv(t *testing.T) {
	src := FromEnv([]string{
		"PATH=/bin",
		"VIGIL_SECRET_DB_PASSWORD=hunter2",
		"VIGIL_SECRET_WITH_EQUALS=a=b=c",
		"VIGIL_SECRET_=ignored",
		"VIGIL_SECRET_EMPTY=",
		"broken",
	})
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"DB_PASSWORD", "hunter2", true},
		{"db-password", "hunter2", true},
		{"db.password", "hunter2", true},
		{"WITH_EQUALS", "a=b=c", true},
		{"EMPTY", "", true},
		{"PATH", "", false},
		{"", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := src.Lookup(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFromFile(t *testing.T) {
	p := writeFile(t, "API_TOKEN: tok-123\nport: 5432\nquoted: \"a: b\"\n")
	src, err := FromFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"API_TOKEN": "tok-123", "port": "5432", "quoted": "a: b"} {
		if got, ok := src.Lookup(name); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

func TestFromFileErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"not a mapping", "- " + secret + "\n", "want a mapping"},
		{"nested value", "TOKEN:\n  inner: " + secret + "\n", `secret "TOKEN": want a string value`},
		{"list value", "TOKEN: [" + secret + "]\n", `secret "TOKEN": want a string value`},
		{"null value", "TOKEN:\n", `secret "TOKEN": want a string value`},
		{"duplicate", "TOKEN: " + secret + "\nTOKEN: other\n", "defined twice"},
		{"syntax", "TOKEN: \"" + secret + "\n", "parse YAML"},
		{"tab indent", "TOKEN: x\n\tOTHER: " + secret + "\n", "parse YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.content)
			_, err := FromFile(p)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, p) {
				t.Errorf("error %q: want it to contain %q and the path", msg, tt.want)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error leaks the secret: %q", msg)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nope.yaml")
		_, err := FromFile(p)
		if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v; want a not-exist error naming %s", err, p)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		src, err := FromFile(writeFile(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := src.Lookup("x"); ok {
			t.Error("empty file has a secret")
		}
	})
}

func TestFromMapCopies(t *testing.T) {
	m := map[string]string{"A": "1"}
	src := FromMap(m)
	m["A"] = "changed"
	if v, ok := src.Lookup("A"); !ok || v != "1" {
		t.Errorf("Lookup(A) = %q, %v; want the value at creation", v, ok)
	}
}

func TestChain(t *testing.T) {
	a := mapSource{"A": "from-a", "BOTH": "a-wins"}
	b := mapSource{"B": "from-b", "BOTH": "b-loses"}
	c := Chain(nil, a, b)
	for name, want := range map[string]string{"A": "from-a", "B": "from-b", "BOTH": "a-wins"} {
		if got, ok := c.Lookup(name); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := c.Lookup("C"); ok {
		t.Error("Lookup(C) found something")
	}
	if _, ok := Chain().Lookup("A"); ok {
		t.Error("empty chain found something")
	}
}

func TestExpand(t *testing.T) {
	src := mapSource{"TOKEN": "tok-XYZ", "PASS": "p@ss"}
	vars := map[string]string{"id": "42", "empty": ""}
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"no refs", "plain text", "plain text", ""},
		{"var", "/users/${vars.id}", "/users/42", ""},
		{"empty var", "[${vars.empty}]", "[]", ""},
		{"secret", "Bearer ${secrets.TOKEN}", "Bearer tok-XYZ", ""},
		{"spaces", "${ secrets.TOKEN }", "tok-XYZ", ""},
		{"both", "${vars.id}:${secrets.PASS}:${vars.id}", "42:p@ss:42", ""},
		{"other refs kept", "${HOME} and ${env.X}", "${HOME} and ${env.X}", ""},
		{"unterminated", "a ${secrets.TOKEN", "a ${secrets.TOKEN", ""},
		{"dollar alone", "costs $5 {x}", "costs $5 {x}", ""},
		{"unknown secret", "${secrets.DB_PASSWORD}", "", `secret "DB_PASSWORD" is not set (VIGIL_SECRET_DB_PASSWORD or the secrets file)`},
		{"unknown var", "${secrets.TOKEN}${vars.nope}", "", `variable "nope" is not set`},
		{"empty secret name", "${secrets.}", "", "empty secret name"},
		{"empty var name", "${vars.}", "", "empty variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMasker()
			got, err := Expand(tt.in, vars, src, m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want %q", err, tt.wantErr)
				}
				for _, v := range src {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error leaks secret: %q", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if masked := m.Mask(got); strings.Contains(masked, "tok-XYZ") || strings.Contains(masked, "p@ss") {
				t.Errorf("secret not registered: %q", masked)
			}
		})
	}
}

func TestExpandNeedsMaskerForSecrets(t *testing.T) {
	src := mapSource{"TOKEN": "tok"}
	if _, err := Expand("${secrets.TOKEN}", nil, src, nil); !errors.Is(err, ErrNoMasker) {
		t.Errorf("err = %v; want ErrNoMasker", err)
	}
	if got, err := Expand("${vars.a}", map[string]string{"a": "1"}, nil, nil); err != nil || got != "1" {
		t.Errorf("vars without masker = %q, %v", got, err)
	}
	if _, err := Expand("${secrets.TOKEN}", nil, nil, NewMasker()); err == nil {
		t.Error("nil source resolved a secret")
	}
}

func TestMask(t *testing.T) {
	const secret = `p@ss w/"quote"&<tag>`
	m := NewMasker()
	m.Add(secret)
	jsonHTML, _ := json.Marshal(secret)
	tests := []struct {
		name string
		in   string
	}{
		{"raw", "password=" + secret + ";"},
		{"query escaped", "https://x/?p=" + url.QueryEscape(secret)},
		{"path escaped", "https://x/" + url.PathEscape(secret)},
		{"in a URL path", (&url.URL{Scheme: "https", Host: "x", Path: "/a/" + secret}).String()},
		{"in userinfo", (&url.URL{Scheme: "https", Host: "x", User: url.UserPassword("u", secret)}).String()},
		{"json escaped", `{"p":` + string(jsonHTML) + `}`},
		{"json no html escape", `{"p":"p@ss w/\"quote\"&<tag>"}`},
		{"go quoted", `value was "p@ss w/\"quote\"&<tag>"`},
		{"twice", secret + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Mask(tt.in)
			if !strings.Contains(got, Placeholder) {
				t.Errorf("Mask(%q) = %q; nothing masked", tt.in, got)
			}
			for _, part := range []string{"p@ss", "quote"} {
				if strings.Contains(got, part) {
					t.Errorf("Mask(%q) = %q; still contains %q", tt.in, got, part)
				}
			}
		})
	}
}

func TestMaskLongestFirst(t *testing.T) {
	m := NewMasker()
	m.Add("abc")
	m.Add("abcdef")
	if got := m.Mask("xabcdefx abc"); got != "x***x ***" {
		t.Errorf("Mask = %q; want the longer secret masked whole", got)
	}
}

func TestMaskEdgeCases(t *testing.T) {
	var zero Masker
	if got := zero.Mask("abc"); got != "abc" {
		t.Errorf("zero Masker changed text: %q", got)
	}
	zero.Add("")
	if zero.Len() != 0 {
		t.Error("empty value registered")
	}
	zero.Add("b")
	if got := zero.Mask("abc"); got != "a***c" {
		t.Errorf("one-char secret: %q", got)
	}
	got := zero.MaskMap(map[string]string{"k": "b", "b": "v"})
	if got["k"] != "***" || got["***"] != "v" {
		t.Errorf("MaskMap = %v", got)
	}
	if zero.MaskMap(nil) != nil {
		t.Error("MaskMap(nil) != nil")
	}
	if s := zero.MaskSlice([]string{"b", "c"}); s[0] != "***" || s[1] != "c" {
		t.Errorf("MaskSlice = %v", s)
	}
}

func TestMaskConcurrent(t *testing.T) {
	m := NewMasker()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			m.Add(strings.Repeat("s", i+3))
		}()
		go func() {
			defer wg.Done()
			_ = m.Mask("some sssss text")
		}()
	}
	wg.Wait()
	if got := m.Mask("x" + strings.Repeat("s", 10) + "x"); got != "x***x" {
		t.Errorf("Mask = %q", got)
	}
}

func BenchmarkMask(b *testing.B) {
	m := NewMasker()
	for _, s := range []string{"token-123456", "password!", "another-secret-value"} {
		m.Add(s)
	}
	text := strings.Repeat("lorem ipsum dolor sit amet token-123456 ", 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = m.Mask(text)
	}
}
