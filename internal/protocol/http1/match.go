package http1

// entry is an exchange whose request has been seen, waiting to be emitted.
type entry struct {
	ex          Exchange
	reqDone     bool
	respStarted bool
	respDone    bool
	head        bool // a HEAD request: its response has no body
	connect     bool
}

func (e *entry) incomplete(reason string) {
	if !e.ex.Incomplete {
		e.ex.Incomplete, e.ex.Reason = true, reason
	}
}

// queue holds exchanges in request order, addressed by sequence number.
type queue struct {
	buf  []entry
	head int
	n    int
	base uint64 // sequence number of the front entry
}

func (q *queue) push() (*entry, uint64) {
	if q.n == len(q.buf) {
		nb := make([]entry, max(2, 2*len(q.buf)))
		for i := range q.n {
			nb[i] = *q.at(i)
		}
		q.buf, q.head = nb, 0
	}
	e := q.at(q.n)
	*e = entry{}
	q.n++
	return e, q.base + uint64(q.n-1)
}

func (q *queue) at(i int) *entry { return &q.buf[(q.head+i)%len(q.buf)] }

func (q *queue) get(seq uint64) *entry {
	if seq < q.base || seq-q.base >= uint64(q.n) {
		return nil
	}
	return q.at(int(seq - q.base))
}

func (q *queue) pop() Exchange {
	e := q.at(0)
	ex := e.ex
	*e = entry{}
	q.head, q.n, q.base = (q.head+1)%len(q.buf), q.n-1, q.base+1
	return ex
}

// unanswered is the index of the oldest request no response is bound to.
func (q *queue) unanswered() int {
	for i := range q.n {
		if e := q.at(i); !e.respStarted && !e.respDone {
			return i
		}
	}
	return -1
}

func (p *Parser) boundEntry(r *reader) *entry {
	if !r.bound {
		return nil
	}
	return p.q.get(r.seq)
}

// enqueue adds the request whose head r has parsed (maybe partly).
func (p *Parser) enqueue(r *reader, hd *head) *entry {
	if p.q.n >= p.opts.MaxPending {
		p.stop(NotHTTPPending)
		return nil
	}
	e, seq := p.q.push()
	p.fillRequest(e, hd)
	e.ex.RequestDir, e.ex.RequestStart = r.dir, r.msg.start
	e.head, e.connect = string(hd.method) == "HEAD", string(hd.method) == "CONNECT"
	if s := e.ex.RequestStart; s != 0 && s <= p.orphanEnd {
		// A response was dropped for want of a request and this one came
		// before it: that response was probably this request's.
		e.respDone = true
		e.incomplete(ReasonUnmatched)
	}
	r.bound, r.seq = true, seq
	return e
}

// fillRequest sets the request's strings with one allocation.
func (p *Parser) fillRequest(e *entry, hd *head) {
	method, known := knownMethod(hd.method)
	buf := p.scratch[:0]
	if !known {
		buf = append(buf, hd.method...)
	}
	buf = append(append(append(append(buf, hd.target...), hd.host...), hd.traceparent...), hd.tracestate...)
	s := string(buf)
	p.scratch = buf[:0]
	if !known {
		method, s = s[:len(hd.method)], s[len(hd.method):]
	}
	ex := &e.ex
	ex.Method, ex.Version = method, versionString(hd.minor)
	ex.Target, s = s[:len(hd.target)], s[len(hd.target):]
	ex.Host, s = s[:len(hd.host)], s[len(hd.host):]
	ex.Traceparent, ex.Tracestate = s[:len(hd.traceparent)], s[len(hd.traceparent):]
}

// ready reports whether response reader r can start a message: it needs a
// request to answer, unless it has given up waiting.
func (p *Parser) ready(r *reader) bool {
	return r.bound || r.orphan || r.forceOrphan || p.closing || p.q.unanswered() >= 0
}

// mustWait reports whether r has to wait for the other direction before it
// starts a message.
func (p *Parser) mustWait(r *reader) bool {
	switch r.role {
	case roleReq:
		return p.await
	case roleResp:
		return !p.ready(r)
	}
	return false
}

// bind matches the response r has just recognised to its request. Normally
// responses answer requests in order. After bytes were skipped or lost,
// responses may be missing: the response answers the newest request sent
// before it, and older ones are declared unanswered. A response that ended
// before the oldest candidate request started answers a request never seen.
func (p *Parser) bind(r *reader) {
	if r.bound || r.orphan {
		return
	}
	i := p.q.unanswered()
	r.forceOrphan = false
	if i < 0 {
		r.orphan = true
		p.orphanEnd = max(p.orphanEnd, r.msg.firstEnd)
		return
	}
	at := r.msg.firstEnd
	if r.resynced && at != 0 {
		for ; i+1 < p.q.n; i++ {
			if next := p.q.at(i + 1).ex.RequestStart; next == 0 || next > at {
				break
			}
			e := p.q.at(i)
			e.respDone = true
			e.incomplete(r.reason)
		}
	}
	e := p.q.at(i)
	if at != 0 && e.ex.RequestStart > at {
		r.orphan = true
		return
	}
	e.respStarted = true
	r.bound, r.seq = true, p.q.base+uint64(i)
	r.resynced, r.reason = false, ""
	p.settle()
}

// settle emits the finished exchanges at the front and releases request
// bytes held behind an upgrade once its answer is known.
func (p *Parser) settle() {
	for p.q.n > 0 {
		if e := p.q.at(0); !e.reqDone || !e.respDone {
			break
		}
		p.emitFront()
	}
	if p.await {
		if e := p.q.get(p.awaitSeq); e == nil || e.respDone {
			p.release()
		}
	}
}

func (p *Parser) release() {
	p.await = false
	p.resume(&p.rd[p.reqDir])
}

func (p *Parser) emitFront() {
	ex := p.q.pop()
	p.stats.Exchanges++
	if ex.Incomplete {
		p.stats.Incomplete++
	}
	p.emit(ex)
}

// finishAll emits every exchange left, marking what is missing with reason,
// and drops all parse state.
func (p *Parser) finishAll(reason string) {
	for p.q.n > 0 {
		if e := p.q.at(0); !e.reqDone || !e.respDone {
			e.incomplete(reason)
		}
		p.emitFront()
	}
	for i := range p.rd {
		r := &p.rd[i]
		r.dropHeld()
		r.msg, r.bound, r.orphan, r.ph = message{}, false, false, phOpaque
	}
	p.await = false
}

func (p *Parser) stop(why string) {
	p.state, p.stats.NotHTTP = NotHTTP, why
	p.finishAll(ReasonNotHTTP)
}

// upgrade ends parsing after a switch of protocols: r's message is the
// response that switched.
func (p *Parser) upgrade(r *reader) {
	p.state = Upgraded // first, so nothing held is parsed as HTTP any more
	p.endMsg(r)
	p.finishAll(ReasonUpgraded)
}
