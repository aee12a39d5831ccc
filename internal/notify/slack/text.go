package slack

import (
	"strings"
	"unicode/utf16"
)

const ellipsis = "…"

// textLen measures in UTF-16 code units, which is never less than the rune
// count: whichever way Slack counts "characters", we stay under its limit.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// escape makes s literal in mrkdwn: Slack reserves &, < and > for entities,
// links and mentions, so an error message could otherwise ping @channel.
func escape(s string) string {
	return mrkdwnEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// fitPlain cuts s to at most limit characters at a rune boundary.
func fitPlain(s string, limit int) string {
	return fit("", strings.ToValidUTF8(s, "\uFFFD"), "", limit, func(r rune) string { return string(r) })
}

// fitMrkdwn returns prefix + escape(value) + suffix within limit characters,
// cutting value (never prefix or suffix) at a rune boundary and never
// inside an &amp;-style entity, and marking the cut with an ellipsis.
func fitMrkdwn(prefix, value, suffix string, limit int) string {
	return fit(prefix, strings.ToValidUTF8(value, "\uFFFD"), suffix, limit, escapeRune)
}

func escapeRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

func fit(prefix, value, suffix string, limit int, conv func(rune) string) string {
	budget := limit - textLen(prefix) - textLen(suffix)
	// Whole pieces (a rune or its entity) so a cut never splits either.
	var pieces []string
	used := 0
	for _, r := range value {
		piece := conv(r)
		n := textLen(piece)
		if used+n <= budget {
			pieces = append(pieces, piece)
			used += n
			continue
		}
		for len(pieces) > 0 && used+textLen(ellipsis) > budget {
			used -= textLen(pieces[len(pieces)-1])
			pieces = pieces[:len(pieces)-1]
		}
		return prefix + strings.Join(pieces, "") + ellipsis + suffix
	}
	return prefix + strings.Join(pieces, "") + suffix
}

// codeBlock renders value as a mrkdwn code block within limit. A ``` inside
// value would end the block early, so it is broken with a zero-width space.
func codeBlock(title, value string, limit int) string {
	value = strings.ReplaceAll(value, "```", "`\u200b``")
	return fitMrkdwn(title+"```", value, "```", limit)
}
