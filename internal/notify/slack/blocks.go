package slack

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/vigil-dev/vigil/internal/notify"
)

// Slack's limits (characters) that Blocks stays within.
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxField       = 2000
	maxButtonURL   = 3000
	maxContextText = 3000
	maxFallback    = 3000 // far below the 40,000 limit: it is only a notification preview
)

// state is how each kind is shown.
var states = map[notify.Kind]struct{ emoji, label string }{
	notify.KindFiring:       {"🔴", "FIRING"},
	notify.KindReminder:     {"🔁", "STILL FIRING"},
	notify.KindAcknowledged: {"👀", "ACKNOWLEDGED"},
	notify.KindResolved:     {"✅", "RESOLVED"},
}

func stateOf(k notify.Kind) (emoji, label string) {
	if s, ok := states[k]; ok {
		return s.emoji, s.label
	}
	return "❔", strings.ToUpper(string(k))
}

// Blocks renders ev as the Block Kit message a person reads: what is broken,
// where, how sure we are, the error, and where to click next. It is pure
// (the same event always gives the same JSON) and stays within Slack's
// limits whatever the event holds.
func Blocks(ev notify.Event) []slack.Block {
	emoji, label := stateOf(ev.Kind)
	summary := ev.Summary
	if summary == "" {
		summary = ev.Rule
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(fitPlain(fmt.Sprintf("%s %s: %s", emoji, label, summary), maxHeader)), slack.HeaderBlockOptionBlockID("header")),
	}

	var fields []*slack.TextBlockObject
	addField := func(name, value string) {
		if value != "" {
			fields = append(fields, mrkdwn(fitMrkdwn("*"+name+"*\n", value, "", maxField)))
		}
	}
	addField("Monitor", ev.Monitor)
	addField("Location", ev.Location)
	addField("Failing step", ev.FailingStep)
	addField("Severity", ev.Severity)
	if ev.Kind == notify.KindFiring || ev.Kind == notify.KindReminder || ev.Confirmed {
		addField("Confirmed by re-check", yesNo(ev.Confirmed))
	}
	if ev.Commit != "" {
		fields = append(fields, mrkdwn(fitMrkdwn("*Commit*\n`", shortCommit(ev.Commit), "`", maxField)))
	}
	switch ev.Kind {
	case notify.KindAcknowledged:
		addField("Acknowledged by", who(ev.By))
	case notify.KindResolved:
		addField("Resolved by", who(ev.By))
		addField("Firing for", duration(ev))
	}
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID("facts")))
	}

	if ev.Error != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(codeBlock("*Error*\n", ev.Error, maxSectionText)), nil, nil, slack.SectionBlockOptionBlockID("error")))
	}
	if ev.Assertion != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fitMrkdwn("*Assertion failed*\n", ev.Assertion, "", maxSectionText)), nil, nil, slack.SectionBlockOptionBlockID("assertion")))
	}
	if s := ev.SlowestSpan; s != nil {
		line := fmt.Sprintf("%s · %s · %s", s.Service, s.Name, s.Took())
		if s.TraceID != "" {
			line += " · trace " + s.TraceID
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fitMrkdwn("*Slowest backend span*\n", line, "", maxSectionText)), nil, nil, slack.SectionBlockOptionBlockID("span")))
	}

	var buttons []slack.BlockElement
	addButton := func(id, text, url string, primary bool) {
		// A cut URL is a broken link, so an over-long one gets no button.
		if url == "" || utf8.RuneCountInString(url) > maxButtonURL {
			return
		}
		b := slack.NewButtonBlockElement(id, "", plain(text)).WithURL(url)
		if primary {
			b = b.WithStyle(slack.StylePrimary)
		}
		buttons = append(buttons, b)
	}
	addButton("open_run", "Open run", ev.RunURL, ev.Kind == notify.KindFiring || ev.Kind == notify.KindReminder)
	addButton("open_workflow", "Temporal workflow", ev.WorkflowURL, false)
	if len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("links", buttons...))
	}

	if ctx := contextLine(ev); ctx != "" {
		blocks = append(blocks, slack.NewContextBlock("context", mrkdwn(ctx)))
	}
	return blocks
}

// contextLine is the small print: times (shown in each reader's own time
// zone via <!date>), rule, extra group labels and the incident id.
func contextLine(ev notify.Event) string {
	var parts []string
	if !ev.StartedAt.IsZero() {
		parts = append(parts, "Started "+slackDate(ev.StartedAt))
	}
	switch ev.Kind {
	case notify.KindAcknowledged:
		parts = append(parts, "acknowledged "+slackDate(ev.At))
	case notify.KindResolved:
		parts = append(parts, "resolved "+slackDate(ev.At))
	case notify.KindReminder:
		if d := duration(ev); d != "" {
			parts = append(parts, "firing for "+d)
		}
	}
	if ev.Rule != "" {
		parts = append(parts, fitMrkdwn("rule ", ev.Rule, "", 200))
	}
	shown := map[string]string{"monitor": ev.Monitor, "location": ev.Location, "step": ev.FailingStep}
	for _, k := range slices.Sorted(maps.Keys(ev.Group)) {
		if v, ok := shown[k]; ok && v == ev.Group[k] {
			continue
		}
		parts = append(parts, fitMrkdwn("", k+"="+ev.Group[k], "", 200))
	}
	if ev.IncidentID != "" {
		parts = append(parts, fitMrkdwn("incident ", ev.IncidentID, "", 200))
	}
	// Parts are already mrkdwn (the dates are markup), so drop whole parts
	// rather than cut one; escaped values were fitted above.
	out := ""
	for _, p := range parts {
		next := p
		if out != "" {
			next = out + " · " + p
		}
		if textLen(next) > maxContextText {
			break
		}
		out = next
	}
	return out
}

// FallbackText is the message's top-level text: what notifications,
// screen readers and clients without Block Kit show.
func FallbackText(ev notify.Event) string {
	emoji, label := stateOf(ev.Kind)
	s := fmt.Sprintf("%s %s", emoji, label)
	if ev.Severity != "" {
		s += " [" + ev.Severity + "]"
	}
	summary := ev.Summary
	if summary == "" {
		summary = ev.Rule
	}
	return fitMrkdwn(s+" ", summary, "", maxFallback)
}

// ReplyText is the short thread reply for reminders and resolutions.
func ReplyText(ev notify.Event) string {
	emoji, _ := stateOf(ev.Kind)
	var s string
	switch ev.Kind {
	case notify.KindReminder:
		s = fmt.Sprintf("%s Still firing", emoji)
		if d := duration(ev); d != "" {
			s += " after " + d
		}
		s += fmt.Sprintf(" (reminder %d)", ev.Seq)
		if ev.Error != "" {
			return fitMrkdwn(s+": ", firstLine(ev.Error), "", maxFallback)
		}
	case notify.KindResolved:
		s = fmt.Sprintf("%s Resolved by %s", emoji, escape(who(ev.By)))
		if d := duration(ev); d != "" {
			s += " after " + d
		}
	case notify.KindAcknowledged:
		s = fmt.Sprintf("%s Acknowledged by %s", emoji, escape(who(ev.By)))
	default:
		return FallbackText(ev)
	}
	return s
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func who(by string) string {
	if by == "" {
		return "automatic"
	}
	return by
}

func shortCommit(c string) string {
	if len(c) > 12 && utf8.ValidString(c) {
		return c[:12]
	}
	return c
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func duration(ev notify.Event) string {
	if ev.StartedAt.IsZero() || ev.At.IsZero() || ev.At.Before(ev.StartedAt) {
		return ""
	}
	return humanDuration(ev.At.Sub(ev.StartedAt))
}

// humanDuration renders at most two units: "45s", "12m 5s", "3h 4m", "2d 1h".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	units := []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var parts []string
	for _, u := range units {
		if d >= u.d || (len(parts) == 0 && u.name == "s") {
			parts = append(parts, fmt.Sprintf("%d%s", d/u.d, u.name))
			d %= u.d
		}
		if len(parts) == 2 || (len(parts) == 1 && d == 0) {
			break
		}
	}
	return strings.Join(parts, " ")
}

// slackDate shows t in the reader's time zone, with UTC as the fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}
