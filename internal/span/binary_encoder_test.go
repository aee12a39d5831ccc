package span

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestBinaryEncoder: a batch whose spans share resource maps (some, in
// runs, as OTLP's) decodes span by span to what AppendBinary gives.
func TestBinaryEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		spans := make([]Span, 1+rng.IntN(8))
		var shared map[string]any
		for i := range spans {
			fill(rng, reflect.ValueOf(&spans[i]).Elem())
			switch o := spans[i].OTel; {
			case o == nil:
			case rng.IntN(3) == 0 || shared == nil: // a new resource
				shared = o.Resource
			default:
				o.Resource = shared
			}
		}
		var enc BinaryEncoder
		var batch []byte
		ends := make([]int, len(spans))
		for i := range spans {
			batch = enc.Append(batch, &spans[i])
			ends[i] = len(batch)
		}
		start := 0
		for i := range spans {
			var want, got Span
			if err := DecodeBinary(spans[i].AppendBinary(nil), &want); err != nil {
				t.Fatal(err)
			}
			if err := DecodeBinary(batch[start:ends[i]], &got); err != nil {
				t.Fatalf("span %d: %v", i, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("span %d differs\n got: %s\nwant: %s", i, got.AppendJSON(nil), want.AppendJSON(nil))
			}
			start = ends[i]
		}
	}
}
