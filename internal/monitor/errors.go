package monitor

import "fmt"

// ValidationError is one problem in one file, located by line and column
// (1-based; 0 when unknown).
type ValidationError struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	MonitorID string `json:"monitor_id,omitempty"`
	Message   string `json:"message"`
}

func (e ValidationError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}
