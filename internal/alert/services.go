package alert

import "slices"

// WatchedServices lists, once each and sorted, the span services that
// no_data rules watch: the only spans an evaluation needs to look at.
func WatchedServices(rules []Rule) []string {
	var out []string
	for i := range rules {
		if rules[i].Kind == KindNoData && rules[i].Target == TargetService {
			out = append(out, rules[i].Services...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
