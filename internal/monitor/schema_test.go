package monitor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("monitor.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("monitor.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

func TestSchemaShape(t *testing.T) {
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Schema string `json:"$schema"`
		Ref    string `json:"$ref"`
		Defs   map[string]struct {
			Type                 string                     `json:"type"`
			Pattern              string                     `json:"pattern"`
			Required             []string                   `json:"required"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
			Properties           map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.Ref != "#/$defs/Monitor" {
		t.Errorf("$schema %q, $ref %q", s.Schema, s.Ref)
	}
	mon := s.Defs["Monitor"]
	if strings.Join(mon.Required, ",") != "id,type,schedule" {
		t.Errorf("Monitor required = %v", mon.Required)
	}
	for _, name := range []string{"Monitor", "Step", "Request", "Schedule", "TCPCheck", "DNSCheck", "TLSCheck", "TLSClient"} {
		if d := s.Defs[name]; d.AdditionalProperties == nil || *d.AdditionalProperties {
			t.Errorf("%s allows additional properties", name)
		}
	}
	if _, ok := mon.Properties["steps"]; !ok {
		t.Error("no steps property")
	}
	if _, ok := mon.Properties["source"]; ok {
		t.Error("source is not part of the file format")
	}
	if !strings.Contains(string(mon.Properties["timeout"]), `"#/$defs/Duration"`) {
		t.Errorf("timeout is not a Duration: %s", mon.Properties["timeout"])
	}
	if d := s.Defs["Duration"]; d.Type != "string" || d.Pattern != durationPattern {
		t.Errorf("Duration is %q with pattern %q, want a string with a pattern", d.Type, d.Pattern)
	}
	if !bytes.Contains(raw, []byte(`"description": "Stable identifier`)) {
		t.Error("descriptions are missing")
	}
}

// TestSchemaValidates: the valid testdata validate; shape errors do not.
func TestSchemaValidates(t *testing.T) {
	schema := compileSchema(t)
	tests := []struct {
		file  string
		valid bool
	}{
		{"valid/http.yaml", true},
		{"valid/tcp.yaml", true},
		{"valid/dns.yaml", true},
		{"valid/tls.yaml", true},
		{"invalid/unknown_field.yaml", false},
		{"invalid/wrong_type_int.yaml", false},
		{"invalid/bad_duration.yaml", false},
		{"invalid/bad_id.yaml", false},
		{"invalid/schedule_both.yaml", false},
		{"invalid/schedule_neither.yaml", false},
		{"invalid/http_with_tcp.yaml", false},
		{"invalid/http_no_steps.yaml", false},
		{"invalid/step_no_url.yaml", false},
		{"invalid/retries_range.yaml", false},
		{"invalid/browser.yaml", false},
		{"invalid/browser_request.yaml", false},
		{"valid/browser.yaml", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			js, err := yaml.YAMLToJSON(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
			if err != nil {
				t.Fatal(err)
			}
			err = schema.Validate(doc)
			if (err == nil) != tt.valid {
				t.Errorf("valid = %v, want %v: %v", err == nil, tt.valid, err)
			}
		})
	}
}
