package ingest

import (
	"fmt"
	"regexp"
)

// Route names the external API and operation that datagrams matching it
// belong to, so users see latency and errors per vendor. Method, Host and
// Path are regular expressions (RE2, unanchored: anchor them with ^ and $);
// an empty one matches anything. The first route that matches wins.
type Route struct {
	API       string `yaml:"api"`       // "stripe"
	Operation string `yaml:"operation"` // "create charge"
	Method    string `yaml:"method"`
	Host      string `yaml:"host"`
	Path      string `yaml:"path"`
}

// Validate says what is wrong with the route, naming the field.
func (r Route) Validate() error {
	if r.API == "" {
		return fmt.Errorf("api is empty: name the external API the route matches")
	}
	for _, f := range []struct{ name, expr string }{{"method", r.Method}, {"host", r.Host}, {"path", r.Path}} {
		if _, err := regexp.Compile(f.expr); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// router matches requests against the routes in order.
type router struct {
	routes []compiledRoute
}

type compiledRoute struct {
	api, operation     string
	method, host, path *regexp.Regexp // nil matches anything
}

func newRouter(routes []Route) (*router, error) {
	r := &router{}
	for i, rt := range routes {
		if err := rt.Validate(); err != nil {
			return nil, fmt.Errorf("route %d (%s): %w", i+1, rt.API, err)
		}
		r.routes = append(r.routes, compiledRoute{
			api: rt.API, operation: rt.Operation,
			method: compileOptional(rt.Method), host: compileOptional(rt.Host), path: compileOptional(rt.Path),
		})
	}
	return r, nil
}

func compileOptional(expr string) *regexp.Regexp {
	if expr == "" {
		return nil
	}
	return regexp.MustCompile(expr) // validated above
}

// match returns the API and operation of the first matching route.
func (r *router) match(method, host, path string) (api, operation string, ok bool) {
	for i := range r.routes {
		rt := &r.routes[i]
		if matches(rt.method, method) && matches(rt.host, host) && matches(rt.path, path) {
			return rt.api, rt.operation, true
		}
	}
	return "", "", false
}

func matches(re *regexp.Regexp, s string) bool { return re == nil || re.MatchString(s) }
