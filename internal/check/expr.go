package check

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/vigil-dev/vigil/internal/result"
)

// maxPrograms bounds the cache; definitions change rarely, so dropping it
// all when full is simpler than an LRU and costs only recompilation.
const maxPrograms = 4096

// maxValueLen caps a value quoted in an assertion message.
const maxValueLen = 120

type programKey struct {
	env    reflect.Type
	code   string
	asBool bool
}

type compiled struct {
	prog *vm.Program
	err  error
	// operands are the identifiers and member chains of the expression
	// (status, json.user.id), shown with their values when it fails.
	operands []string
}

// programs caches compiled expressions; a Runner serves many goroutines.
type programs struct {
	mu sync.Mutex
	m  map[programKey]*compiled
}

func (c *programs) get(env any, code string, asBool bool) *compiled {
	key := programKey{env: reflect.TypeOf(env), code: code, asBool: asBool}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[key]; ok {
		return p
	}
	if c.m == nil || len(c.m) >= maxPrograms {
		c.m = map[programKey]*compiled{}
	}
	p := compile(env, code, asBool)
	c.m[key] = p
	return p
}

func compile(env any, code string, asBool bool) *compiled {
	opts := []expr.Option{expr.Env(env)}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(code, opts...)
	if err != nil {
		return &compiled{err: fmt.Errorf("compile %q: %w", code, err)}
	}
	c := &compiled{prog: prog}
	if asBool {
		c.operands = operands(code)
	}
	return c
}

// assert evaluates one assertion against env. Values quoted in the
// message pass through mask before they are quoted or cut, so no encoding
// of a secret can slip past the masker.
func (r *Runner) assert(env any, code string, mask func(string) string) result.Assertion {
	a := result.Assertion{Expression: code}
	p := r.programs.get(env, code, true)
	if p.err != nil {
		a.Message = "invalid expression: " + p.err.Error()
		return a
	}
	out, err := expr.Run(p.prog, env)
	if err != nil {
		a.Message = "evaluation failed: " + err.Error()
		return a
	}
	a.Passed, _ = out.(bool)
	if !a.Passed {
		a.Message = r.describe(env, p.operands, mask)
	}
	return a
}

// describe renders "status was 503, json.ok was false" for the operands
// that evaluate on their own.
func (r *Runner) describe(env any, ops []string, mask func(string) string) string {
	parts := make([]string, 0, len(ops))
	for _, op := range ops {
		p := r.programs.get(env, op, false)
		if p.err != nil {
			continue
		}
		v, err := expr.Run(p.prog, env)
		if err != nil {
			continue
		}
		parts = append(parts, op+" was "+messageValue(v, mask))
	}
	return strings.Join(parts, ", ")
}

// extract evaluates an extraction to the string stored in vars.
func (r *Runner) extract(env any, code string) (string, error) {
	p := r.programs.get(env, code, false)
	if p.err != nil {
		return "", p.err
	}
	v, err := expr.Run(p.prog, env)
	if err != nil {
		return "", fmt.Errorf("evaluate %q: %w", code, err)
	}
	if v == nil {
		return "", fmt.Errorf("%s has no value", code)
	}
	return valueString(v), nil
}

// valueString writes numbers without exponents (an id of 1234567 stays
// 1234567) and structures as JSON.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case map[string]any, []any, []string, map[string]string:
		if b, err := json.Marshal(x); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// messageValue is a value as an assertion message shows it: masked, cut,
// and quoted when it is a string.
func messageValue(v any, mask func(string) string) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(truncate(mask(s)))
	}
	return truncate(mask(valueString(v)))
}

func truncate(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	cut := maxValueLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// operands lists the outermost identifiers and member chains rooted at an
// identifier, in order and without repeats.
func operands(code string) []string {
	tree, err := parser.Parse(code)
	if err != nil {
		return nil
	}
	v := &operandVisitor{inner: map[ast.Node]bool{}}
	ast.Walk(&tree.Node, v)
	var out []string
	seen := map[string]bool{}
	for _, n := range v.nodes {
		s := n.String()
		if v.inner[n] || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// operandVisitor sees children before parents (ast.Walk is post-order), so
// it marks the inner parts of a chain when it reaches the chain.
type operandVisitor struct {
	nodes []ast.Node
	inner map[ast.Node]bool
}

func (v *operandVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		v.nodes = append(v.nodes, n)
	case *ast.MemberNode:
		if rootedAtIdentifier(n) {
			v.inner[n.Node] = true
			v.nodes = append(v.nodes, n)
		}
	case *ast.ChainNode:
		if rootedAtIdentifier(n.Node) {
			v.inner[n.Node] = true
			v.nodes = append(v.nodes, n)
		}
	case *ast.CallNode:
		v.inner[n.Callee] = true
	}
}

func rootedAtIdentifier(n ast.Node) bool {
	for {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			return true
		case *ast.MemberNode:
			n = x.Node
		case *ast.ChainNode:
			n = x.Node
		default:
			return false
		}
	}
}
