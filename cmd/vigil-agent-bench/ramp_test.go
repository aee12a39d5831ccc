package main

import "testing"

func TestRampPassed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		step   rampStep
		passed bool
	}{
		{"clean and reached", rampStep{asked: 1000, sent: 995}, true},
		{"ring drops", rampStep{asked: 1000, sent: 1000, ringDrops: 1}, false},
		{"user-space drops", rampStep{asked: 1000, sent: 1000, userDrops: 2000}, false},
		{"generator short of the rate", rampStep{asked: 1000, sent: 850}, false},
		{"a tenth short still counts", rampStep{asked: 1000, sent: 900}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if passed := rampPassed(tc.step); passed != tc.passed {
				t.Errorf("rampPassed(%+v) = %v, want %v", tc.step, passed, tc.passed)
			}
		})
	}
}
