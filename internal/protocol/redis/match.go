package redis

import (
	"strings"
)

// requestDone queues a command read from the request direction.
func (p *Parser) requestDone(f *frame) {
	if f.elems == 0 {
		return // "*0", "*-1" and empty inline lines get no reply
	}
	if p.monitor {
		p.Stats.add("command after MONITOR")
		return
	}
	if !p.sync {
		if !p.quiet {
			p.Stats.add(p.unsynced("command"))
			return
		}
		p.sync, p.synced = true, true
	}
	name, key, ok := command(f)
	h := pending{x: Exchange{Command: name, Key: key, Args: f.elems - 1, Pipelined: p.piped,
		RequestDir: p.reqDir, RequestStart: f.start, RequestEnd: f.end, RequestBytes: f.bytes}}
	p.everPip = p.everPip || p.piped
	switch {
	case name == "":
		h.dropped = true
	case !ok:
		h.x.Incomplete, h.x.Reason = true, "key not captured"
	}
	p.special(&h, f)
	if p.queued() >= maxQueued {
		p.desync("too many commands waiting")
		return
	}
	p.q = append(p.q, h)
	p.flushNoReply()
}

// special does the bookkeeping of commands that change how replies flow.
func (p *Parser) special(h *pending, f *frame) {
	x := &h.x
	inMulti := p.inMulti
	switch x.Command {
	case "MULTI":
		x.Transaction, p.inMulti, p.multiSub = "MULTI", true, false
		return
	case "EXEC", "DISCARD":
		x.Transaction, p.inMulti = x.Command, false
		if p.multiSub && x.Command == "EXEC" {
			h.after = func(p *Parser, f *frame) { p.subKnown = false } // confirmations went inside EXEC's array
		}
		return
	}
	if inMulti {
		x.Transaction = "queued"
		if subCommand(x.Command) != "" {
			p.multiSub = true
		}
		return
	}
	if p.skipNext || p.replyOff && x.Command != "CLIENT REPLY" {
		h.noReply, p.skipNext = true, false
		return
	}
	switch x.Command {
	case "CLIENT REPLY":
		switch arg := strings.ToUpper(string(f.caps[2].b)); {
		case f.elems != 3:
		case arg == "OFF":
			h.noReply, p.replyOff = true, true
			p.everPip = true // it no longer waits for replies: no quiet points
		case arg == "SKIP":
			h.noReply, p.skipNext = true, true
			p.everPip = true
		case arg == "ON":
			p.replyOff = false
		}
	case "MONITOR", "SYNC", "PSYNC":
		// What follows is a command feed (or an RDB file), not replies.
		h.after = func(p *Parser, f *frame) { p.monitor = f.typ == '+' }
	case "RESET":
		h.after = func(p *Parser, f *frame) {
			if f.typ == '+' {
				p.subscribed, p.subKnown, p.resp3, p.inMulti, p.replyOff = false, true, false, false, false
			}
		}
	case "HELLO":
		v := string(f.caps[1].b)
		h.after = func(p *Parser, f *frame) {
			if f.typ == '%' || f.typ == '*' {
				p.resp3 = v == "3" || v == "" && p.resp3
			}
		}
	default:
		if k := subCommand(x.Command); k != "" {
			h.subKind, h.want = k, x.Args
			if x.Args == 0 && strings.HasSuffix(k, "unsubscribe") {
				h.all = true
			} else if x.Args == 0 {
				h.subKind = "" // an error reply
			}
		}
	}
}

// subCommand returns the confirmation kind of a pub/sub command.
func subCommand(cmd string) string {
	switch cmd {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
		return strings.ToLower(cmd)
	}
	return ""
}

// flushNoReply emits waiting commands that get no reply once they are
// first in line.
func (p *Parser) flushNoReply() {
	for h := p.head(); h != nil && h.noReply; h = p.head() {
		hh := p.pop()
		p.send(&hh, nil, "")
	}
}

// pubsubKind names the pub/sub shape of a frame: a RESP3 push, or in RESP2
// an array of 3 or 4 elements whose first is the kind.
func (p *Parser) pubsubKind(f *frame) string {
	if f.typ != '>' && (f.typ != '*' || p.resp3) {
		return ""
	}
	c := &f.caps[0]
	if c.typ != '$' && c.typ != '+' || c.lost || len(c.b) > 12 {
		return ""
	}
	switch k := string(c.b); k {
	case "message", "smessage", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		if f.count == 3 {
			return k
		}
	case "pmessage":
		if f.count == 4 {
			return k
		}
	}
	return ""
}

// replyDone handles a frame from the reply direction.
func (p *Parser) replyDone(f *frame) {
	if p.monitor {
		p.Stats.Pushes++ // MONITOR output
		return
	}
	kind := p.pubsubKind(f)
	if p.confirm(f, kind) {
		return
	}
	p.endConfirmations()
	switch {
	case f.typ == '>':
		p.Stats.Pushes++ // RESP3 pushes are never replies
		p.noteCount(f, kind)
		return
	case kind == "":
	case p.subscribed:
		p.Stats.Pushes++
		p.noteCount(f, kind)
		return
	case !p.subKnown:
		// A message, or an array that looks like one? Not guessed.
		p.desync("pub/sub state unknown")
		return
	}
	p.flushNoReply()
	if !p.sync {
		p.Stats.add(p.unsynced("reply"))
		return
	}
	h := p.head()
	if h == nil {
		p.desync("reply without command") // counted there, matching being on
		return
	}
	hh := p.pop()
	p.send(&hh, f, "")
	if hh.after != nil {
		hh.after(p, f)
	}
	p.flushNoReply()
}

// confirm counts a subscribe/unsubscribe confirmation for the command
// first in line.
func (p *Parser) confirm(f *frame, kind string) bool {
	if kind == "" || strings.HasSuffix(kind, "message") {
		return false
	}
	p.flushNoReply()
	h := p.head()
	if h == nil || h.subKind != kind || !h.all && h.got >= h.want {
		return false
	}
	if h.got == 0 {
		h.x.ResponseStart = f.start
		h.x.ReplyType, _ = replyType(f)
	}
	h.got++
	h.x.ResponseEnd = f.end
	h.x.ResponseBytes += f.bytes
	n := p.noteCount(f, kind)
	if h.all && n != 0 || !h.all && h.got < h.want {
		return true
	}
	hh := p.pop()
	p.send(&hh, nil, "")
	return true
}

// endConfirmations completes an UNSUBSCRIBE without channels: its
// confirmations are sent back to back, so any other frame ends them.
func (p *Parser) endConfirmations() {
	if h := p.head(); h != nil && h.subKind != "" && h.got > 0 {
		hh := p.pop()
		p.send(&hh, nil, "")
	}
}

// noteCount follows the subscription count a confirmation carries; -1
// when it has none.
func (p *Parser) noteCount(f *frame, kind string) int64 {
	c := &f.caps[2]
	n, ok := atoi(c.b)
	if c.typ != ':' || !ok {
		return -1
	}
	switch kind {
	case "subscribe", "psubscribe", "ssubscribe":
		p.subscribed, p.subKnown = true, true
	case "unsubscribe", "punsubscribe":
		if n == 0 {
			p.subscribed, p.subKnown = false, true
		}
	}
	return n
}
