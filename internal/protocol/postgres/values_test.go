package postgres

import (
	"encoding/binary"
	"slices"
	"testing"
)

func bindBody(formats []uint16, params [][]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(formats)))
	for _, f := range formats {
		b = binary.BigEndian.AppendUint16(b, f)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(params)))
	for _, p := range params {
		if p == nil {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return append(b, 0, 0) // no result format codes
}

func TestBindValues(t *testing.T) {
	int8be := binary.BigEndian.AppendUint64(nil, 1234567)
	int4be := binary.BigEndian.AppendUint32(nil, 42)
	tests := []struct {
		name string
		body []byte
		want []string
	}{
		{"text, no format codes", bindBody(nil, [][]byte{[]byte("cart:77"), []byte("alice")}), []string{"cart:77", "alice"}},
		{"one code for all: binary integers", bindBody([]uint16{1}, [][]byte{int8be, int4be}), []string{"1234567", "42"}},
		{"a code per parameter; NULL skipped", bindBody([]uint16{0, 1, 1}, [][]byte{[]byte("o-9"), nil, int4be}), []string{"o-9", "42"}},
		{"other binary skipped", bindBody([]uint16{1}, [][]byte{{1, 2, 3}}), nil},
		{"cut message", bindBody(nil, [][]byte{[]byte("abcdef")})[:7], nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bindValues(tt.body); !slices.Equal(got, tt.want) {
				t.Errorf("bindValues = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLiterals(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT * FROM orders WHERE user_id = 1234 AND ref = 'o-77'", []string{"1234", "o-77"}},
		{"INSERT INTO t2 (a1) VALUES ('it''s', 3.5)", []string{"it's", "3.5"}},
		{`SELECT "col9" FROM x WHERE y = $1`, nil},
		{"SELECT 'unterminated", []string{"unterminated"}},
	}
	for _, tt := range tests {
		if got := Literals(tt.sql); !slices.Equal(got, tt.want) {
			t.Errorf("Literals(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
