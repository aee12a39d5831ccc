package monitor

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// checkExpr compiles src against env (an assertion must be a bool) and
// returns the variables it reads as vars.NAME or vars["NAME"].
func checkExpr(src string, env any, assertion bool) ([]string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	opts := []expr.Option{expr.Env(env)}
	if assertion {
		opts = append(opts, expr.AsBool())
	}
	program, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, exprError(err)
	}
	root := program.Node()
	var refs varRefs
	ast.Walk(&root, &refs)
	return refs.sorted(), nil
}

// exprError keeps expr's message and position on one line.
func exprError(err error) error {
	var ferr *file.Error
	if errors.As(err, &ferr) {
		if ferr.Snippet == "" {
			return errors.New(ferr.Message)
		}
		return fmt.Errorf("%s (at %d:%d of the expression)", ferr.Message, ferr.Line, ferr.Column+1)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(first)
}

// varRefs collects the names read from vars.
type varRefs map[string]bool

func (r *varRefs) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok {
		return
	}
	ident, ok := m.Node.(*ast.IdentifierNode)
	if !ok || ident.Value != "vars" {
		return
	}
	if prop, ok := m.Property.(*ast.StringNode); ok {
		if *r == nil {
			*r = varRefs{}
		}
		(*r)[prop.Value] = true
	}
}

func (r varRefs) sorted() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
