package monitor

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// mapping converts the entries of a mapping and applies merge keys ("<<"):
// merged entries come after the explicit ones, which win over them.
func (c *converter) mapping(values []*ast.MappingValueNode, start *token.Token, flow bool) (*node, error) {
	out := &node{kind: mappingNode, pos: c.at(start)}
	if !flow && len(values) > 0 && values[0].Key != nil {
		// a block mapping has no start token of its own: use its first key
		out.pos = c.at(values[0].Key.GetToken())
	}
	var merged []pair
	for _, mv := range values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			src, err := c.convert(mv.Value)
			if err != nil {
				return nil, err
			}
			pairs, err := c.mergeSource(src, mv.Key.GetToken())
			if err != nil {
				return nil, err
			}
			merged = append(merged, pairs...)
			continue
		}
		key, err := c.convert(mv.Key)
		if err != nil {
			return nil, err
		}
		value, err := c.convert(mv.Value)
		if err != nil {
			return nil, err
		}
		if value.pos == (position{}) {
			value.pos = c.at(mv.Start) // an empty value is located at its ':'
		}
		out.pairs = append(out.pairs, pair{key: key, value: value})
	}
	out.pairs = appendMerged(out.pairs, merged)
	return out, nil
}

// mergeSource returns the entries that "<<: value" brings in.
func (c *converter) mergeSource(src *node, at *token.Token) ([]pair, error) {
	switch src.kind {
	case mappingNode:
		return src.pairs, nil
	case sequenceNode:
		var pairs []pair
		for _, item := range src.items {
			if item.kind != mappingNode {
				return nil, c.fail(at, "<< expects a mapping or a list of mappings")
			}
			pairs = appendMerged(pairs, item.pairs)
		}
		return pairs, nil
	default:
		return nil, c.fail(at, "<< expects a mapping or a list of mappings")
	}
}

// appendMerged adds the pairs of merged whose keys are not in pairs yet.
func appendMerged(pairs, merged []pair) []pair {
	seen := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		seen[p.key.text] = true
	}
	for _, p := range merged {
		if p.key.kind != scalarNode || seen[p.key.text] {
			continue
		}
		seen[p.key.text] = true
		pairs = append(pairs, p)
	}
	return pairs
}
