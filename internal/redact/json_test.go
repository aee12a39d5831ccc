package redact

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSON(t *testing.T) {
	r := MustNew(Default())
	for _, tc := range []struct {
		name, in, want string
	}{
		{"clean", `{"user":"bob","n":1.5e3,"ok":true,"x":null,"l":[1,"a",{}]}`, ""},
		{"string", `{"user":"bob","password":"hunter2"}`, `{"user":"bob","password":"[REDACTED]"}`},
		{"any type", `{"token":123,"secret":{"a":[1,{"b":2}]},"cvv":null,"ssn":true,"apikey":[1,2]}`,
			`{"token":"[REDACTED]","secret":"[REDACTED]","cvv":"[REDACTED]","ssn":"[REDACTED]","apikey":"[REDACTED]"}`},
		{"nested", `{"a":{"b":[{"c":{"Access_Token":"t"}},{"refreshToken":"r"}]}}`,
			`{"a":{"b":[{"c":{"Access_Token":"[REDACTED]"}},{"refreshToken":"[REDACTED]"}]}}`},
		{"top-level array", `[{"client_secret":"s"},{"card_number":"4111111111111111"}]`,
			`[{"client_secret":"[REDACTED]"},{"card_number":"[REDACTED]"}]`},
		{"name pattern", `{"db_password":"p","mysecretkey":"k","prompt_tokens":10}`,
			`{"db_password":"[REDACTED]","mysecretkey":"[REDACTED]","prompt_tokens":10}`},
		{"escaped key", `{"pass\u0077ord":"x"}`, `{"pass\u0077ord":"[REDACTED]"}`},
		{"formatting kept", "{\n  \"a\" : 1 ,\n  \"password\" : \"x\"\n}\n", "{\n  \"a\" : 1 ,\n  \"password\" : \"[REDACTED]\"\n}\n"},
		{"card in value", `{"note":"card 4111 1111 1111 1111"}`, `{"note":"card [REDACTED]"}`},
		{"escaped value", `{"h":"Bearer\u0020abc\n"}`, `{"h":"Bearer [REDACTED]\n"}`},
		{"card as number", `{"n":4111111111111111,"m":4111111111111112}`, `{"n":"[REDACTED]","m":4111111111111112}`},
		{"card as key", `{"4111111111111111":1}`, `{"[REDACTED]":1}`},
		{"bearer value", `{"auth":"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}`, `{"auth":"Bearer [REDACTED]"}`},
		{"not json, clean", `password=hunter2&x=1`, ""},
		{"not json, pattern", `{"password":"hunter2", truncated Bearer abc`, `{"password":"hunter2", truncated Bearer [REDACTED]`},
		{"scalar", `"4111111111111111"`, `"[REDACTED]"`},
		{"empty", ``, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" && tc.in != "" {
				want = tc.in
			}
			got := string(r.JSON([]byte(tc.in)))
			require.Equal(t, want, got)
			if json.Valid([]byte(tc.in)) {
				require.True(t, json.Valid([]byte(got)), got)
			}
		})
	}
}

func TestJSONDrop(t *testing.T) {
	r := MustNew(Config{JSONFields: []FieldRule{{Name: "password", Action: ActionDrop}, {Name: "token", Action: ActionDrop}}})
	for _, tc := range []struct{ in, want string }{
		{`{"password":"x"}`, `{}`},
		{`{"password":"x","a":1}`, `{"a":1}`},
		{`{"a":1,"password":"x"}`, `{"a":1}`},
		{`{"a":1,"password":"x","b":2}`, `{"a":1,"b":2}`},
		{`{"password":"x","token":"y","a":1}`, `{"a":1}`},
		{`{"a":1,"password":"x","token":"y"}`, `{"a":1}`},
		{`{"password":"x","token":"y"}`, `{}`},
		{`{"password":{"token":1},"l":[{"token":[1,2]}]}`, `{"l":[{}]}`},
		{"{\n  \"a\": 1,\n  \"password\": \"x\"\n}", "{\n  \"a\": 1\n}"},
		{"{\n  \"password\": \"x\",\n  \"a\": 1\n}", "{\n  \"a\": 1\n}"},
		{`{ "password" : "x" , "token" : 2 }`, `{  }`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := string(r.JSON([]byte(tc.in)))
			require.Equal(t, tc.want, got)
			require.True(t, json.Valid([]byte(got)), got)
		})
	}
	require.EqualValues(t, 11, r.Counts()["json:password"])
}

func TestJSONReturnsInputWhenClean(t *testing.T) {
	r := MustNew(Default())
	in := []byte(`{"a":[1,2,{"b":"c"}]}`)
	out := r.JSON(in)
	require.Same(t, &in[0], &out[0])
}
