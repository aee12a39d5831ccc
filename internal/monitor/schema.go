package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the monitor file schema.
const SchemaID = "https://github.com/vigil-dev/vigil/schemas/monitor.json"

// Schema returns the JSON Schema (draft 2020-12) of one monitor document,
// generated from the Go types, for editors and CI linters. It checks shapes;
// ParseFile remains the authority (expressions, cron, variables).
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
	}
	s := r.Reflect(&Monitor{})
	s.ID = SchemaID
	s.Title = "vigil monitor"
	s.Description = "One monitor definition; a file may hold several, separated by ---."
	if err := extendDefinitions(s.Definitions); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep "<id>" readable in descriptions
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("monitor schema: %w", err)
	}
	return out.Bytes(), nil
}

// JSONSchema describes a Duration as a string such as "30s"; invopop's
// reflector uses it wherever a Duration appears, in this package or another.
func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "string",
		Pattern:     durationPattern,
		Description: "Duration such as 30s, 5m or 1h30m (units ns, us, ms, s, m, h)",
		Examples:    []any{"30s", "5m", "1h30m"},
	}
}

// extendDefinitions adds the rules that struct tags cannot say.
func extendDefinitions(defs jsonschema.Definitions) error {
	monitor, schedule := defs["Monitor"], defs["Schedule"]
	if monitor == nil || schedule == nil {
		return fmt.Errorf("monitor schema: definitions Monitor and Schedule not generated")
	}
	schedule.OneOf = []*jsonschema.Schema{
		{Required: []string{"every"}, Not: &jsonschema.Schema{Required: []string{"cron"}}},
		{Required: []string{"cron"}, Not: &jsonschema.Schema{Required: []string{"every"}}},
	}
	blocks := map[string]string{TypeHTTP: "steps", TypeBrowser: "steps", TypeTCP: "tcp", TypeDNS: "dns", TypeTLS: "tls"}
	for _, typ := range []string{TypeHTTP, TypeBrowser, TypeTCP, TypeDNS, TypeTLS} {
		monitor.AllOf = append(monitor.AllOf, typeRule(typ, blocks))
	}
	return nil
}

// typeRule: a monitor of type typ has its own block and none of the others.
func typeRule(typ string, blocks map[string]string) *jsonschema.Schema {
	var others []*jsonschema.Schema
	for _, other := range []string{TypeHTTP, TypeTCP, TypeDNS, TypeTLS} {
		if blocks[other] != blocks[typ] {
			others = append(others, &jsonschema.Schema{Required: []string{blocks[other]}})
		}
	}
	if typ == TypeHTTP || typ == TypeBrowser {
		others = append(others, &jsonschema.Schema{Required: []string{"assert"}})
	}
	typeIs := jsonschema.NewProperties()
	typeIs.Set("type", &jsonschema.Schema{Const: typ})
	then := &jsonschema.Schema{Required: []string{blocks[typ]}, Not: &jsonschema.Schema{AnyOf: others}}
	// Steps share one shape: an http step needs a request, a browser step
	// must not have one.
	item := &jsonschema.Schema{Required: []string{"request"}}
	switch typ {
	case TypeBrowser:
		item = &jsonschema.Schema{Not: &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Required: []string{"request"}}, {Required: []string{"extract"}}}}}
		fallthrough
	case TypeHTTP:
		props := jsonschema.NewProperties()
		props.Set("steps", &jsonschema.Schema{Items: item})
		then.Properties = props
	}
	return &jsonschema.Schema{
		If:   &jsonschema.Schema{Properties: typeIs, Required: []string{"type"}},
		Then: then,
	}
}
