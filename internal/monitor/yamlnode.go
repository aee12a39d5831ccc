package monitor

import (
	"errors"
	"fmt"
	"math"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// The rest of the package sees YAML through node, a small tree with positions
// already made absolute in the file; only this file knows the YAML library.

type nodeKind int

const (
	scalarNode nodeKind = iota
	mappingNode
	sequenceNode
)

type scalarTag int

const (
	tagStr scalarTag = iota
	tagInt
	tagFloat
	tagBool
	tagNull
)

// position is a 1-based line and column in a file; 0 means unknown.
type position struct{ line, col int }

type node struct {
	kind  nodeKind
	tag   scalarTag // scalars only
	text  string    // scalars: the value as written, unquoted
	value any       // scalars: string, int64, uint64, float64, bool or nil
	pos   position
	pairs []pair  // mappings, merge keys already applied
	items []*node // sequences
}

type pair struct{ key, value *node }

func (n *node) isNull() bool { return n.kind == scalarNode && n.tag == tagNull }

// positionError is a problem found at a position before any monitor exists.
type positionError struct {
	pos position
	msg string
}

func (e *positionError) Error() string { return e.msg }

// yamlDocument is one non-empty document of a chunk.
type yamlDocument struct{ root *node }

// parseChunk parses the documents of one chunk.
func parseChunk(c chunk) ([]yamlDocument, error) {
	if pos, ok := tooDeep(c.text); ok {
		pos.line += c.firstLine - 1
		return nil, &positionError{pos: pos, msg: fmt.Sprintf("brackets nested deeper than %d levels", maxDepth)}
	}
	file, err := parser.ParseBytes(c.text, 0)
	if err != nil {
		return nil, syntaxError(err, c.firstLine-1)
	}
	var docs []yamlDocument
	for _, d := range file.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		conv := converter{lineOffset: c.firstLine - 1, anchors: map[string]*node{}}
		root, err := conv.convert(d.Body)
		if err != nil {
			return docs, err
		}
		if root.isNull() {
			continue // a document holding only comments
		}
		docs = append(docs, yamlDocument{root: root})
	}
	return docs, nil
}

func syntaxError(err error, lineOffset int) error {
	var yerr yaml.Error
	if errors.As(err, &yerr) && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
		p := yerr.GetToken().Position
		return &positionError{pos: position{p.Line + lineOffset, p.Column}, msg: "invalid YAML: " + yerr.GetMessage()}
	}
	return &positionError{pos: position{lineOffset + 1, 0}, msg: fmt.Sprintf("invalid YAML: %v", err)}
}

type converter struct {
	lineOffset int
	anchors    map[string]*node
}

func (c *converter) at(tk *token.Token) position {
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line + c.lineOffset, tk.Position.Column}
}

func (c *converter) fail(tk *token.Token, format string, args ...any) error {
	return &positionError{pos: c.at(tk), msg: fmt.Sprintf(format, args...)}
}

func (c *converter) convert(n ast.Node) (*node, error) {
	switch n := n.(type) {
	case *ast.NullNode:
		return c.scalar(n.Token, tagNull, nil), nil
	case *ast.StringNode:
		s := c.scalar(n.Token, tagStr, n.Value)
		s.text = n.Value
		return s, nil
	case *ast.LiteralNode:
		s := c.scalar(n.Start, tagStr, n.Value.Value)
		s.text = n.Value.Value
		return s, nil
	case *ast.IntegerNode:
		return c.scalar(n.Token, tagInt, n.Value), nil
	case *ast.FloatNode:
		return c.scalar(n.Token, tagFloat, n.Value), nil
	case *ast.InfinityNode:
		return c.scalar(n.Token, tagFloat, n.Value), nil
	case *ast.NanNode:
		return c.scalar(n.Token, tagFloat, math.NaN()), nil
	case *ast.BoolNode:
		return c.scalar(n.Token, tagBool, n.Value), nil
	case *ast.MappingNode:
		return c.mapping(n.Values, n.Start, n.IsFlowStyle)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{n}, n.Key.GetToken(), n.IsFlowStyle)
	case *ast.SequenceNode:
		return c.sequence(n)
	case *ast.AnchorNode:
		return c.anchor(n)
	case *ast.AliasNode:
		name := n.Value.GetToken().Value
		target, ok := c.anchors[name]
		if !ok {
			return nil, c.fail(n.Start, "unknown anchor %q (an alias must follow its anchor, and may not refer to a node that contains it)", name)
		}
		return target, nil
	case *ast.TagNode:
		return c.tagged(n)
	case *ast.MappingKeyNode:
		return c.convert(n.Value)
	case nil:
		return &node{kind: scalarNode, tag: tagNull}, nil
	default:
		return nil, c.fail(n.GetToken(), "unsupported YAML construct (%s)", n.Type())
	}
}

func (c *converter) scalar(tk *token.Token, tag scalarTag, value any) *node {
	text := ""
	if tk != nil {
		text = tk.Value
	}
	return &node{kind: scalarNode, tag: tag, text: text, value: value, pos: c.at(tk)}
}

func (c *converter) sequence(n *ast.SequenceNode) (*node, error) {
	out := &node{kind: sequenceNode, pos: c.at(n.Start)}
	for _, item := range n.Values {
		v, err := c.convert(item)
		if err != nil {
			return nil, err
		}
		out.items = append(out.items, v)
	}
	return out, nil
}

func (c *converter) anchor(n *ast.AnchorNode) (*node, error) {
	v, err := c.convert(n.Value)
	if err != nil {
		return nil, err
	}
	if v.pos == (position{}) {
		v.pos = c.at(n.Start)
	}
	c.anchors[n.Name.GetToken().Value] = v
	return v, nil
}

// tagged accepts the standard tags only: a custom tag would need a meaning
// that monitor files do not have.
func (c *converter) tagged(n *ast.TagNode) (*node, error) {
	v, err := c.convert(n.Value)
	if err != nil {
		return nil, err
	}
	switch token.ReservedTagKeyword(n.Start.Value) {
	case token.StringTag:
		if v.kind != scalarNode {
			return nil, c.fail(n.Start, "!!str applies to a scalar only")
		}
		return &node{kind: scalarNode, tag: tagStr, text: v.text, value: v.text, pos: v.pos}, nil
	case token.IntegerTag, token.FloatTag, token.BooleanTag, token.NullTag,
		token.MappingTag, token.SequenceTag, token.TimestampTag:
		return v, nil
	default:
		return nil, c.fail(n.Start, "unsupported tag %s", n.Start.Value)
	}
}
