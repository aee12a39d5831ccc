package mysql

// The connection phase: greeting, optional SSL request, handshake response,
// then any number of authentication round trips until the server's OK or
// ERR. Only capabilities, user and database are kept.

// hsServer handles a server packet of the handshake.
func (p *Parser) hsServer(pk *packet) {
	if pk.seq != p.hsSeq {
		p.Stats.add("handshake sequence mismatch")
		p.handshakeLost()
		return
	}
	p.hsSeq = pk.last + 1
	b := pk.data
	if len(b) == 0 {
		p.handshakeLost()
		return
	}
	if pk.seq == 0 {
		if b[0] != 10 {
			p.Stats.add("server refused the connection")
			p.state = StateEnded
			return
		}
		p.greeting(b)
		return
	}
	switch b[0] {
	case 0x00: // authenticated
		p.state = StateCommand
		if p.caps()&(capCompress|capZstd) != 0 {
			p.state = StateCompressed
		}
	case 0xff:
		p.Stats.add("authentication failed")
		p.state = StateEnded
	}
	// 0xfe auth switch and 0x01 more data (caching_sha2 fast auth, public
	// key): the conversation goes on.
}

// greeting reads the server's capabilities from its Handshake v10.
func (p *Parser) greeting(b []byte) {
	_, rest, ok := cstring(b[1:]) // server version
	if !ok || len(rest) < 4+8+1+2 {
		return
	}
	rest = rest[4+8+1:] // connection id, auth data part 1, filler
	p.serverCaps = uint64(le16(rest))
	if len(rest) >= 2+1+2+2 {
		p.serverCaps |= uint64(le16(rest[5:])) << 16
	}
	// MariaDB puts extended capabilities in the last 4 of 10 reserved bytes
	// and says so by clearing CLIENT_LONG_PASSWORD.
	if len(rest) >= 7+1+10 && p.serverCaps&capLongPassword == 0 {
		p.serverCaps |= uint64(le32(rest[14:])) << 32
	}
}

// hsClient handles a client packet of the handshake.
func (p *Parser) hsClient(pk *packet) {
	if pk.seq != p.hsSeq {
		p.Stats.add("handshake sequence mismatch")
		p.handshakeLost()
		return
	}
	p.hsSeq = pk.last + 1
	if p.hsResp {
		return // authentication data
	}
	p.hsResp = true
	b := pk.data
	if len(b) < 32 {
		return
	}
	caps := uint64(le32(b))
	if p.serverCaps&capLongPassword == 0 {
		caps |= uint64(le32(b[28:])) << 32
	}
	p.serverCaps &= caps // from now on: the negotiated set
	p.eofKnown, p.deprecateEOF = true, caps&capDeprecateEOF != 0
	if caps&capSSL != 0 && pk.n == 32 {
		p.state = StateTLS // an SSL request: TLS follows
		return
	}
	user, rest, ok := cstring(b[32:])
	if !ok {
		return
	}
	p.user = cut(string(user), 256)
	switch {
	case caps&capAuthLenEnc != 0:
		v, n, ok := lenenc(rest)
		if !ok || uint64(len(rest)-n) < v {
			return
		}
		rest = rest[n+int(v):]
	case caps&capSecureConn != 0:
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return
		}
		rest = rest[1+int(rest[0]):]
	default:
		if _, rest, ok = cstring(rest); !ok {
			return
		}
	}
	if caps&capConnectWithDB != 0 {
		if db, _, ok := cstring(rest); ok {
			p.db = cut(string(db), 256)
		}
	}
}

func (p *Parser) caps() uint64 { return p.serverCaps }

// AwaitsTLS reports whether the client asked for TLS: the rest of the
// connection is encrypted, and only its plaintext can be parsed.
func (p *Parser) AwaitsTLS() bool { return p.state == StateTLS }

// ResumeTLS tells a parser that awaits TLS that what follows is the
// plaintext of the connection's TLS session (read from the TLS library),
// with the bytes counted afresh: the handshake goes on with the full
// handshake response (sequence 2), then authentication and commands, as
// on a connection without TLS.
func (p *Parser) ResumeTLS() {
	if p.state != StateTLS {
		return
	}
	p.state, p.hsResp = StateHandshake, false
	p.fr[0].restart()
	p.fr[1].restart()
}
