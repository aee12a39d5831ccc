package main

import "testing"

func TestRampVerdict(t *testing.T) {
	for _, tc := range []struct {
		name         string
		step         rampStep
		passed, goOn bool
	}{
		{"clean and reached", rampStep{asked: 1000, sent: 995}, true, true},
		{"ring drops", rampStep{asked: 1000, sent: 1000, ringDrops: 1}, false, false},
		{"user-space drops", rampStep{asked: 1000, sent: 1000, userDrops: 2000}, false, false},
		{"generator short of the rate", rampStep{asked: 1000, sent: 850}, false, false},
		{"a tenth short still counts", rampStep{asked: 1000, sent: 900}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			passed, goOn := rampVerdict(tc.step)
			if passed != tc.passed || goOn != tc.goOn {
				t.Errorf("rampVerdict(%+v) = %v, %v; want %v, %v", tc.step, passed, goOn, tc.passed, tc.goOn)
			}
		})
	}
}
