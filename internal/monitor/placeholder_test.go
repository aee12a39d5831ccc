package monitor

import (
	"errors"
	"reflect"
	"testing"
)

func TestReferences(t *testing.T) {
	tests := []struct {
		in      string
		want    []Reference
		wantErr bool
	}{
		{"plain text, $5 and {braces}", nil, false},
		{"Bearer ${vars.token}", []Reference{{RefVars, "token"}}, false},
		{"${secrets.A_1}:${vars._x}", []Reference{{RefSecrets, "A_1"}, {RefVars, "_x"}}, false},
		{"${env.HOME}", nil, true},
		{"${vars.1st}", nil, true},
		{"${vars.a-b}", nil, true},
		{"${vars}", nil, true},
		{"${}", nil, true},
		{"${vars.token", nil, true},
		{"${secrets.a.b}", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := References(tt.in)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("References = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	values := map[Reference]string{{RefVars, "id"}: "42", {RefSecrets, "PW"}: "s3cret"}
	resolve := func(r Reference) (string, error) {
		if v, ok := values[r]; ok {
			return v, nil
		}
		return "", errors.New("not set")
	}
	got, err := Expand("/items/${vars.id}?pw=${secrets.PW}&x=$y", resolve)
	if err != nil || got != "/items/42?pw=s3cret&x=$y" {
		t.Errorf("Expand = %q, %v", got, err)
	}
	if _, err := Expand("${vars.missing}", resolve); err == nil {
		t.Error("an unresolved reference gave no error")
	}
	if _, err := Expand("${oops}", resolve); err == nil {
		t.Error("a malformed reference gave no error")
	}
}
