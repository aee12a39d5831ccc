package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// withCheck appends the Luhn check digit to digits.
func withCheck(digits string) string {
	for d := byte('0'); d <= '9'; d++ {
		if luhn(digits + string(d)) {
			return digits + string(d)
		}
	}
	panic("unreachable")
}

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},
		{"4111111111111112", false},
		{"5555555555554444", true},
		{"378282246310005", true},
		{"4111-1111-1111-1111", true},
		{"79927398713", true},
		{"79927398710", false},
		{"0", false},
		{"", false},
	} {
		t.Run(tc.in, func(t *testing.T) { require.Equal(t, tc.want, luhn(tc.in)) })
	}
}

func TestText(t *testing.T) {
	r := MustNew(Default())
	card19 := withCheck("601100099013942412")
	card13 := withCheck("422222222222")
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	for _, tc := range []struct {
		name, in, want, rule string
	}{
		{"plain", "GET /api/v1/users/42 took 12ms", "", ""},
		{"empty", "", "", ""},
		{"visa", "paid with 4111111111111111.", "paid with [REDACTED].", "pattern:credit_card"},
		{"visa spaces", "card 4111 1111 1111 1111 exp", "card [REDACTED] exp", "pattern:credit_card"},
		{"visa dashes", "4111-1111-1111-1111", "[REDACTED]", "pattern:credit_card"},
		{"card then date", "4111 1111 1111 1111 12 25", "[REDACTED] 12 25", "pattern:credit_card"},
		{"date then card", "2024-01-15 4111111111111111", "2024-01-15 [REDACTED]", "pattern:credit_card"},
		{"amex 15", "378282246310005", "[REDACTED]", "pattern:credit_card"},
		{"13 digits", "n=" + card13, "n=[REDACTED]", "pattern:credit_card"},
		{"19 digits", card19 + "x", "[REDACTED]x", "pattern:credit_card"},
		{"inside word", "id:abc4111111111111111def", "id:abc[REDACTED]def", "pattern:credit_card"},
		{"two cards", "4111111111111111,5555555555554444", "[REDACTED],[REDACTED]", "pattern:credit_card"},
		{"luhn fails", "order 4111111111111112", "", ""},
		{"12 digits", "tel 411111111113", "", ""},
		{"20 digit id", "id 41111111111111111114", "", ""},
		{"double space splits", "4111 1111  1111 1111", "", ""},
		{"bearer", "Authorization: Bearer abc.DEF-123_~+/==", "Authorization: Bearer [REDACTED]", "pattern:bearer"},
		{"bearer lower", "bearer\tzzz rest", "bearer\t[REDACTED] rest", "pattern:bearer"},
		{"bearer word only", "the bearer of bad news", "the bearer [REDACTED] bad news", "pattern:bearer"},
		{"jwt", "token " + jwt + " end", "token [REDACTED] end", "pattern:jwt"},
		{"jwt no signature", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "[REDACTED]", "pattern:jwt"},
		{"aws akia", "key=AKIAIOSFODNN7EXAMPLE;", "key=[REDACTED];", "pattern:aws_access_key_id"},
		{"aws asia", "ASIAIOSFODNN7EXAMPLE", "[REDACTED]", "pattern:aws_access_key_id"},
		{"aws too short", "AKIAIOSFODNN7EXAMP", "", ""},
		{"aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY x", "aws_secret_access_key=[REDACTED] x", "pattern:aws_secret_access_key"},
		{"aws secret json", `"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG"`, `"SecretAccessKey": "[REDACTED]"`, "pattern:aws_secret_access_key"},
		{"email off", "mail bob@example.com", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			before := r.Counts()
			require.Equal(t, want, r.Text(tc.in))
			after := r.Counts()
			if tc.rule != "" {
				require.Greater(t, after[tc.rule], before[tc.rule], "counter %s", tc.rule)
			} else {
				require.Equal(t, before, after)
			}
		})
	}
}

func TestTextEmails(t *testing.T) {
	r := MustNew(Config{Emails: true})
	require.Equal(t, "to [REDACTED], cc [REDACTED].", r.Text("to bob.smith+x@mail.example.com, cc a@b.io."))
	require.Equal(t, "not@email", r.Text("not@email"))
	require.EqualValues(t, 2, r.Counts()["pattern:email"])

	only := MustNew(Config{Emails: true, DisableDefaults: true})
	require.Equal(t, "[REDACTED] 4111111111111111", only.Text("a@b.io 4111111111111111"))
	require.Equal(t, []string{"pattern:email"}, only.RuleNames())
}

func TestTextUserPatterns(t *testing.T) {
	r := MustNew(Config{Patterns: []PatternRule{
		{Name: "ticket", Regexp: `TCK-[0-9]+`},
		{Name: "pin", Regexp: `(pin=)[0-9]{4}`, Replacement: "${1}****"},
		{Name: "iban_like", Regexp: `NUM[0-9]{8}`, Luhn: true},
	}})
	require.Equal(t, "see [REDACTED] now", r.Text("see TCK-123 now"))
	require.Equal(t, "pin=**** ok", r.Text("pin=1234 ok"))
	require.Equal(t, "[REDACTED] NUM79927391", r.Text("NUM79927398 NUM79927391"), "only the Luhn-valid match")
	c := r.Counts()
	require.EqualValues(t, 1, c["pattern:ticket"])
	require.EqualValues(t, 1, c["pattern:pin"])
	require.EqualValues(t, 1, c["pattern:iban_like"])
}

func TestTextNoAllocWhenClean(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	r := MustNew(Config{Emails: true})
	for _, s := range []string{"", "GET /api/v1/users/42", "a long message with numbers 1234 5678 and words secretary bearing", strings.Repeat("x", 1000)} {
		var out string
		allocs := testing.AllocsPerRun(100, func() { out = r.Text(s) })
		require.Zero(t, allocs, s)
		require.Equal(t, s, out)
	}
}
