package config

import (
	"errors"
	"fmt"
	"time"
)

// Traces configures trace assembly: the AssembleTraces schedule reads the
// stored spans a window at a time.
type Traces struct {
	// AssembleEvery is the schedule's interval.
	AssembleEvery time.Duration `yaml:"assemble_every"`
	// Window is the time one batch assembles (the traces whose root
	// starts in it); a window is assembled as soon as it has ended.
	Window time.Duration `yaml:"window"`
	// Grace is how long a window stays open after that: a span of it
	// stored within Grace re-assembles its trace; a later one is stored
	// but not assembled.
	Grace time.Duration `yaml:"grace"`
}

// DefaultTraces is the trace assembly configuration before files, env and
// flags.
func DefaultTraces() Traces {
	return Traces{AssembleEvery: 10 * time.Second, Window: 10 * time.Second, Grace: time.Minute}
}

func tracesEnv(t *Traces) map[string]func(string) error {
	dur := func(p *time.Duration) func(string) error {
		return func(v string) (err error) {
			*p, err = time.ParseDuration(v)
			return err
		}
	}
	return map[string]func(string) error{
		"VIGIL_TRACES_ASSEMBLE_EVERY": dur(&t.AssembleEvery),
		"VIGIL_TRACES_WINDOW":         dur(&t.Window),
		"VIGIL_TRACES_GRACE":          dur(&t.Grace),
	}
}

// validate is part of Config.Validate.
func (t Traces) validate() error {
	var errs []error
	if t.AssembleEvery < time.Second {
		errs = append(errs, fmt.Errorf("traces.assemble_every %s must be at least 1s", t.AssembleEvery))
	}
	if t.Window < 100*time.Millisecond || t.Window > time.Hour {
		errs = append(errs, fmt.Errorf("traces.window %s must be between 100ms and 1h", t.Window))
	}
	if t.Grace <= 0 {
		errs = append(errs, errors.New("traces.grace must be positive"))
	}
	return errors.Join(errs...)
}
