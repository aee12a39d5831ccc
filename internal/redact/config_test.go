package redact

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestValidate(t *testing.T) {
	require.NoError(t, Default().Validate())
	require.NoError(t, Builtin().Validate())
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"empty field rule", Config{Headers: []FieldRule{{}}},
			"redact.headers[0]: needs a name or a pattern"},
		{"name and pattern", Config{QueryParams: []FieldRule{{Name: "a"}, {Name: "b", Pattern: "c"}}},
			"redact.query_params[1]: has both a name and a pattern; set one"},
		{"bad field pattern", Config{JSONFields: []FieldRule{{Pattern: "a("}}},
			"redact.json_fields[0].pattern: error parsing regexp: missing closing ): `a(`"},
		{"unknown action", Config{Headers: []FieldRule{{Name: "x", Action: "mask"}}},
			`redact.headers[0].action "mask" must be redact, drop or keep`},
		{"pattern without name", Config{Patterns: []PatternRule{{Regexp: "x"}}},
			"redact.patterns[0].name must not be empty"},
		{"pattern without regexp", Config{Patterns: []PatternRule{{Name: "x"}}},
			"redact.patterns[0].regexp must not be empty"},
		{"bad regexp", Config{Patterns: []PatternRule{{Name: "x", Regexp: "[a-"}}},
			"redact.patterns[0].regexp: error parsing regexp: missing closing ]: `[a-`"},
		{"empty match", Config{Patterns: []PatternRule{{Name: "x", Regexp: "a*"}}},
			`redact.patterns[0].regexp "a*" matches the empty string`},
		{"duplicate name", Config{Patterns: []PatternRule{{Name: "x", Regexp: "a"}, {Name: "x", Regexp: "b"}}},
			`redact.patterns[1].name "x" is already used by redact.patterns[0]`},
		{"all at once", Config{Headers: []FieldRule{{Action: "x"}}, Patterns: []PatternRule{{}}},
			"redact.headers[0]: needs a name or a pattern\n" +
				`redact.headers[0].action "x" must be redact, drop or keep` + "\n" +
				"redact.patterns[0].name must not be empty\n" +
				"redact.patterns[0].regexp must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			require.EqualError(t, err, tc.want)
			_, err = New(tc.c)
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestConfigYAML(t *testing.T) {
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte(`
headers:
  - name: X-Session
    action: drop
  - pattern: ^x-internal-
query_params:
  - name: code
    action: keep
json_fields:
  - name: pin
patterns:
  - name: ticket
    regexp: 'TCK-\d+'
    replacement: TCK-?
emails: true
`), &c))
	require.Equal(t, Config{
		Headers:     []FieldRule{{Name: "X-Session", Action: ActionDrop}, {Pattern: "^x-internal-"}},
		QueryParams: []FieldRule{{Name: "code", Action: ActionKeep}},
		JSONFields:  []FieldRule{{Name: "pin"}},
		Patterns:    []PatternRule{{Name: "ticket", Regexp: `TCK-\d+`, Replacement: "TCK-?"}},
		Emails:      true,
	}, c)
	r, err := New(c)
	require.NoError(t, err)
	require.Equal(t, "/cb?code=abc&state=[REDACTED]", r.URL("/cb?code=abc&state=4111111111111111"))
	require.Equal(t, `{"pin":"[REDACTED]"}`, string(r.JSON([]byte(`{"pin":1234}`))))
	out, keep := r.Header("x-session", "s")
	require.False(t, keep)
	require.Empty(t, out)
	out, keep = r.Header("X-Internal-Route", "blue")
	require.True(t, keep)
	require.Equal(t, Placeholder, out)
	require.Equal(t, "TCK-? [REDACTED]", r.Text("TCK-9 a@b.io"))
}

func TestDisableDefaults(t *testing.T) {
	r := MustNew(Config{DisableDefaults: true, Headers: []FieldRule{{Name: "X-Mine"}}})
	require.Equal(t, []string{"header:x-mine"}, r.RuleNames())
	out, _ := r.Header("Authorization", "Bearer abc")
	require.Equal(t, "Bearer abc", out)
	require.Equal(t, "https://u:p@h/?token=1", r.URL("https://u:p@h/?token=1"))
	require.Equal(t, "4111111111111111", r.Text("4111111111111111"))
}

func TestRuleNamesAndCounts(t *testing.T) {
	r := MustNew(Config{Headers: []FieldRule{{Name: "Authorization", Action: ActionDrop}}})
	names := r.RuleNames()
	for _, n := range []string{"header:authorization", "header:sensitive-name", "query:token", "json:password",
		"pattern:credit_card", "pattern:bearer", "pattern:jwt", "pattern:aws_access_key_id",
		"pattern:aws_secret_access_key", "url:userinfo"} {
		require.Contains(t, names, n)
	}
	require.NotContains(t, names, "pattern:email")
	require.IsNonDecreasing(t, names)
	counts := r.Counts()
	require.Len(t, counts, len(names))
	for _, n := range names {
		require.Zero(t, counts[n])
	}
	// The configured drop overrides the built-in redact; both share a name.
	_, keep := r.Header("AUTHORIZATION", "x")
	require.False(t, keep)
	require.EqualValues(t, 1, r.Counts()["header:authorization"])
}
