package alert

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// The rest of the package sees YAML through node, a small tree with
// positions; only this file knows the YAML library.

type nodeKind int

const (
	scalarNode nodeKind = iota
	mappingNode
	sequenceNode
)

type node struct {
	kind   nodeKind
	text   string // scalars: the value as written, unquoted
	quoted bool   // scalars: a string, not a number, boolean or null
	null   bool
	pos    Position
	pairs  []pair  // mappings
	items  []*node // sequences
}

type pair struct{ key, value *node }

// posError is a problem found before any rule exists (a syntax error).
type posError struct {
	pos Position
	msg string
}

func (e *posError) Error() string { return e.msg }

// parseYAML returns the root node of every non-empty document.
func parseYAML(data []byte) ([]*node, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
			p := yerr.GetToken().Position
			return nil, &posError{pos: Position{p.Line, p.Column}, msg: "invalid YAML: " + yerr.GetMessage()}
		}
		return nil, &posError{pos: Position{1, 0}, msg: fmt.Sprintf("invalid YAML: %v", err)}
	}
	var roots []*node
	for _, d := range file.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		c := converter{anchors: map[string]*node{}}
		root, err := c.convert(d.Body)
		if err != nil {
			return roots, err
		}
		if !root.null {
			roots = append(roots, root)
		}
	}
	return roots, nil
}

type converter struct {
	anchors map[string]*node
	nodes   int
}

// maxNodes bounds what aliases may expand to.
const maxNodes = 100_000

func at(tk *token.Token) Position {
	if tk == nil || tk.Position == nil {
		return Position{}
	}
	return Position{tk.Position.Line, tk.Position.Column}
}

func (c *converter) convert(n ast.Node) (*node, error) {
	if c.nodes++; c.nodes > maxNodes {
		return nil, &posError{pos: at(n.GetToken()), msg: fmt.Sprintf("the document expands to more than %d YAML nodes", maxNodes)}
	}
	switch n := n.(type) {
	case nil:
		return &node{kind: scalarNode, null: true}, nil
	case *ast.NullNode:
		return &node{kind: scalarNode, null: true, text: n.Token.Value, pos: at(n.Token)}, nil
	case *ast.StringNode:
		return &node{kind: scalarNode, text: n.Value, quoted: true, pos: at(n.Token)}, nil
	case *ast.LiteralNode:
		return &node{kind: scalarNode, text: n.Value.Value, quoted: true, pos: at(n.Start)}, nil
	case *ast.MappingNode:
		return c.mapping(n.Values, n.Start, n.IsFlowStyle)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{n}, n.Key.GetToken(), n.IsFlowStyle)
	case *ast.SequenceNode:
		out := &node{kind: sequenceNode, pos: at(n.Start)}
		for _, item := range n.Values {
			v, err := c.convert(item)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, v)
		}
		return out, nil
	case *ast.AnchorNode:
		v, err := c.convert(n.Value)
		if err == nil {
			c.anchors[n.Name.GetToken().Value] = v
		}
		return v, err
	case *ast.AliasNode:
		name := n.Value.GetToken().Value
		if v, ok := c.anchors[name]; ok {
			return v, nil
		}
		return nil, &posError{pos: at(n.Start), msg: fmt.Sprintf("unknown anchor %q", name)}
	case *ast.TagNode:
		return c.convert(n.Value)
	case *ast.MappingKeyNode:
		return c.convert(n.Value)
	case ast.ScalarNode: // numbers, booleans: after the wrappers that also implement it
		return &node{kind: scalarNode, text: n.GetToken().Value, pos: at(n.GetToken())}, nil
	default:
		return nil, &posError{pos: at(n.GetToken()), msg: fmt.Sprintf("unsupported YAML construct (%s)", n.Type())}
	}
}

func (c *converter) mapping(values []*ast.MappingValueNode, start *token.Token, flow bool) (*node, error) {
	out := &node{kind: mappingNode, pos: at(start)}
	if !flow && len(values) > 0 && values[0].Key != nil {
		out.pos = at(values[0].Key.GetToken()) // a block mapping starts at its first key
	}
	for _, mv := range values {
		key, err := c.convert(mv.Key)
		if err != nil {
			return nil, err
		}
		value, err := c.convert(mv.Value)
		if err != nil {
			return nil, err
		}
		if value.pos == (Position{}) {
			value.pos = at(mv.Start) // an empty value is located at its ':'
		}
		out.pairs = append(out.pairs, pair{key: key, value: value})
	}
	return out, nil
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *node) string {
	switch {
	case n.kind == mappingNode:
		return "a mapping"
	case n.kind == sequenceNode:
		return "a list"
	case n.null:
		return "null"
	default:
		return "the value " + strconv.Quote(n.text)
	}
}
