package monitor

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Limits of a definition.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
	MinEvery       = time.Second
	MaxRetries     = 10
	DefaultConfirm = 1
	MaxConfirm     = 5
	// IDPattern is what a monitor id must match.
	IDPattern = `^[a-z0-9][a-z0-9._-]{0,62}$`
)

const supportedTypes = "http, tcp, dns, tls, browser"

// checker validates the meaning of a decoded monitor; it locates problems
// through the positions the decoder recorded.
type checker struct {
	m *Monitor
	d *decoder
	p *problems
}

// valueAt is the position of path, or of its nearest located ancestor.
func (c *checker) valueAt(path string) position {
	for {
		if l, ok := c.d.values[path]; ok && l.pos != (position{}) {
			return l.pos
		}
		if path == "" {
			return position{}
		}
		path = parentPath(path)
	}
}

// keyAt is the position of the key that names path, else of its value.
func (c *checker) keyAt(path string) position {
	if pos, ok := c.d.keys[path]; ok {
		return pos
	}
	return c.valueAt(path)
}

// present reports whether path was written with a non-null value.
func (c *checker) present(path string) bool {
	l, ok := c.d.values[path]
	return ok && !l.null
}

// fail reports a problem with the value at path.
func (c *checker) fail(path, format string, args ...any) {
	c.p.add(path, c.valueAt(path), format, args...)
}

// missing reports a required field absent from parent, at the parent's key,
// unless an unknown field was already reported as its likely misspelling.
func (c *checker) missing(parent, field, format string, args ...any) {
	if c.d.misspelled[joinPath(parent, field)] {
		return
	}
	c.p.add(joinPath(parent, field), c.keyAt(parent), format, args...)
}

func (c *checker) validate() {
	c.checkID()
	c.checkSchedule()
	c.checkLimits()
	if c.m.Type == TypeBrowser {
		c.checkBrowserSteps()
	} else {
		c.checkSteps()
	}
	c.checkTCP()
	c.checkDNS()
	c.checkTLS()
	if c.checkType() {
		c.checkBlocks()
	}
}

func (c *checker) checkID() {
	switch {
	case c.m.ID == "":
		c.missing("", "id", "id is required (lower-case letters, digits, '.', '_' and '-')")
	case !validID(c.m.ID):
		c.fail("id", "id %q must match %s: start with a lower-case letter or digit, then up to 62 lower-case letters, digits, '.', '_' or '-'", c.m.ID, IDPattern)
	}
}

// validID implements IDPattern.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 63 {
		return false
	}
	for i := range len(id) {
		ch := id[i]
		alnum := (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
		if !alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')) {
			return false
		}
	}
	return true
}

// checkType reports whether the type is one the package knows.
func (c *checker) checkType() bool {
	switch c.m.Type {
	case TypeHTTP, TypeTCP, TypeDNS, TypeTLS, TypeBrowser:
		return true
	case "":
		c.missing("", "type", "type is required; expected one of: %s", supportedTypes)
	default:
		c.fail("type", "unknown type %q; expected one of: %s", c.m.Type, supportedTypes)
	}
	return false
}

func (c *checker) checkSchedule() {
	s := c.m.Schedule
	every, cronSet := c.present("schedule.every"), c.present("schedule.cron")
	switch {
	case !c.present("schedule"):
		c.missing("", "schedule", "schedule is required: set every (such as 30s) or cron (such as \"*/5 * * * *\")")
	case every && cronSet:
		c.p.add("schedule", c.keyAt("schedule"), "schedule: set exactly one of every or cron, not both")
	case !every && !cronSet:
		c.p.add("schedule", c.keyAt("schedule"), "schedule: set exactly one of every (such as 30s) or cron (such as \"*/5 * * * *\")")
	case every && s.Every.Std() < MinEvery:
		c.fail("schedule.every", "schedule.every must be at least %s, got %s", Duration(MinEvery), s.Every)
	case cronSet:
		if err := checkCron(s.Cron); err != nil {
			c.fail("schedule.cron", "schedule.cron: %v", err)
		}
	}
}

// checkCron accepts the standard 5 fields and the @hourly family, in UTC.
func checkCron(spec string) error {
	trimmed := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ="):
		return fmt.Errorf("cron expressions run in UTC; remove the time zone prefix from %q", spec)
	case strings.HasPrefix(trimmed, "@every"):
		return fmt.Errorf("use schedule.every for intervals instead of %q", spec)
	}
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	if _, err := p.Parse(trimmed); err != nil {
		return fmt.Errorf("invalid cron expression %q: %w; expected 5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly", spec, err)
	}
	return nil
}

func (c *checker) checkLimits() {
	m := c.m
	if c.present("timeout") && (m.Timeout <= 0 || m.Timeout.Std() > MaxTimeout) {
		c.fail("timeout", "timeout must be greater than 0 and at most %s, got %s", Duration(MaxTimeout), m.Timeout)
	}
	if c.present("timeout") && m.Timeout > 0 && m.Schedule.Every > 0 && m.Timeout > m.Schedule.Every {
		c.fail("timeout", "timeout %s must not exceed schedule.every %s: a check would still run when the next one starts", m.Timeout, m.Schedule.Every)
	}
	if m.Retries < 0 || m.Retries > MaxRetries {
		c.fail("retries", "retries must be between 0 and %d, got %d", MaxRetries, m.Retries)
	}
	if m.Confirm != nil && (*m.Confirm < 0 || *m.Confirm > MaxConfirm) {
		c.fail("confirm", "confirm must be between 0 and %d, got %d", MaxConfirm, *m.Confirm)
	}
	c.checkResources()
	c.checkTraceparent()
}

// checkResources: only browser runs have a process tree to confine.
func (c *checker) checkResources() {
	r := c.m.Resources
	if r == nil {
		return
	}
	if c.m.Type != TypeBrowser {
		c.fail("resources", "resources apply to browser monitors only, not %s", c.m.Type)
		return
	}
	if c.present("resources.cpus") && (r.CPUs < 0.1 || r.CPUs > 16) {
		c.fail("resources.cpus", "resources.cpus must be between 0.1 and 16, got %g", r.CPUs)
	}
	if c.present("resources.memory_mb") && (r.MemoryMB < 128 || r.MemoryMB > 65536) {
		c.fail("resources.memory_mb", "resources.memory_mb must be between 128 and 65536 (MiB), got %d", r.MemoryMB)
	}
}

// checkTraceparent: origins are whole origins (a path would never match a
// request's origin) and only browser runs request more than they name.
func (c *checker) checkTraceparent() {
	tp := c.m.Traceparent
	if tp == nil {
		return
	}
	if c.m.Type != TypeBrowser && c.m.Type != TypeHTTP {
		c.fail("traceparent", "traceparent applies to http and browser monitors only, not %s", c.m.Type)
		return
	}
	if len(tp.Origins) > 0 && c.m.Type != TypeBrowser {
		c.fail("traceparent.origins", "traceparent.origins applies to browser monitors only: an http monitor sends it with each of its requests")
		return
	}
	for i, o := range tp.Origins {
		if err := CheckOrigin(o); err != nil {
			c.fail(fmt.Sprintf("traceparent.origins[%d]", i), "%v", err)
		}
	}
}

// CheckOrigin accepts "*" or scheme://host[:port] with http or https.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(u.Host, "*?\\") {
		return fmt.Errorf("origin %q must be * or scheme://host[:port] (http or https, no path)", o)
	}
	return nil
}
