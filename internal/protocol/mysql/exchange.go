// Package mysql parses the two byte streams of one MySQL/MariaDB
// client/server connection, as an eBPF agent sees them (captured heads of
// syscall buffers, with the sizes of what was not captured or lost), into
// one exchange per command.
//
// Packets are framed by their 4-byte headers, so bytes that were not
// captured are skipped by count without losing the framing. When the
// framing is lost anyway (a gap across a packet header) the parser never
// guesses: the affected exchange is marked Incomplete and the direction
// resynchronises only at a syscall boundary that is certainly a packet
// start (a command with sequence id 0, or the response expected next).
package mysql

import "github.com/vigil-dev/vigil/internal/reassembly"

// Exchange is one command and its response.
type Exchange struct {
	Command   string // "COM_QUERY", "COM_STMT_EXECUTE", ...
	Operation string // first SQL keyword, upper case, when there is SQL
	// Statement is the SQL normalised by Normalize; for statement commands
	// (EXECUTE, FETCH, RESET, CLOSE) the text remembered from the PREPARE.
	Statement   string
	Truncated   bool // Statement is a prefix: the SQL was not fully captured or was too long
	StatementID uint32
	// Rows is the number of result set rows, or the affected rows of an OK;
	// summed over the results of a multi-result response. -1: unknown.
	Rows      int64
	ErrorCode uint16 // of the ERR packet that ended the response
	SQLState  string
	Error     string // the ERR message, cut to 256 bytes
	// Database and User come from the handshake response (and later
	// COM_INIT_DB, USE, COM_CHANGE_USER) when seen.
	Database, User string
	// RequestDir is the direction commands flow: Egress means the traced
	// process is the client.
	RequestDir reassembly.Direction
	// Syscall times (monotonic ns): entry of the syscall that carried the
	// command's first byte, exit of the one that carried its last; likewise
	// for the response.
	RequestStart, RequestEnd    uint64
	ResponseStart, ResponseEnd  uint64
	RequestBytes, ResponseBytes int64 // on the wire, packet headers included
	Incomplete                  bool
	Reason                      string
}

// State of a connection's parser.
type State uint8

// States.
const (
	StateDetecting   State = iota // nothing recognised yet
	StateHandshake                // greeting seen, authenticating
	StateCommand                  // command phase: parsing
	StateNotMySQL                 // the bytes are not MySQL: ignore the connection
	StateTLS                      // the client asked for TLS: the rest is encrypted
	StateCompressed               // compression was negotiated: not parsed
	StateReplication              // a binlog stream follows: not parsed
	StateEnded                    // the server refused the connection
)

func (s State) String() string {
	if int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

var stateNames = [...]string{"detecting", "handshake", "command", "not-mysql", "tls", "compressed", "replication", "ended"}

// Stats count what the parser gave up on, by reason.
type Stats struct {
	Errors map[string]uint64
}

func (s *Stats) add(reason string) {
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	s.Errors[reason]++
}

// Command bytes.
const (
	comQuit             = 0x01
	comInitDB           = 0x02
	comQuery            = 0x03
	comFieldList        = 0x04
	comStatistics       = 0x09
	comChangeUser       = 0x11
	comBinlogDump       = 0x12
	comStmtPrepare      = 0x16
	comStmtExecute      = 0x17
	comStmtSendLongData = 0x18
	comStmtClose        = 0x19
	comStmtReset        = 0x1a
	comStmtFetch        = 0x1c
	comBinlogDumpGTID   = 0x1e
	comStmtBulkExecute  = 0xfa // MariaDB
)

var commandNames = map[byte]string{
	0x00: "COM_SLEEP", 0x01: "COM_QUIT", 0x02: "COM_INIT_DB", 0x03: "COM_QUERY",
	0x04: "COM_FIELD_LIST", 0x05: "COM_CREATE_DB", 0x06: "COM_DROP_DB", 0x07: "COM_REFRESH",
	0x08: "COM_SHUTDOWN", 0x09: "COM_STATISTICS", 0x0a: "COM_PROCESS_INFO", 0x0b: "COM_CONNECT",
	0x0c: "COM_PROCESS_KILL", 0x0d: "COM_DEBUG", 0x0e: "COM_PING", 0x0f: "COM_TIME",
	0x10: "COM_DELAYED_INSERT", 0x11: "COM_CHANGE_USER", 0x12: "COM_BINLOG_DUMP",
	0x13: "COM_TABLE_DUMP", 0x14: "COM_CONNECT_OUT", 0x15: "COM_REGISTER_SLAVE",
	0x16: "COM_STMT_PREPARE", 0x17: "COM_STMT_EXECUTE", 0x18: "COM_STMT_SEND_LONG_DATA",
	0x19: "COM_STMT_CLOSE", 0x1a: "COM_STMT_RESET", 0x1b: "COM_SET_OPTION",
	0x1c: "COM_STMT_FETCH", 0x1d: "COM_DAEMON", 0x1e: "COM_BINLOG_DUMP_GTID",
	0x1f: "COM_RESET_CONNECTION", 0xfa: "COM_STMT_BULK_EXECUTE",
}

// Capability and status flags used.
const (
	capLongPassword   = 1 << 0 // cleared by MariaDB servers that send extended capabilities
	capConnectWithDB  = 1 << 3
	capCompress       = 1 << 5
	capProtocol41     = 1 << 9
	capSSL            = 1 << 11
	capSecureConn     = 1 << 15
	capPluginAuth     = 1 << 19
	capAuthLenEnc     = 1 << 21
	capDeprecateEOF   = 1 << 24
	capZstd           = 1 << 26
	statusMoreResults = 0x0008
	statusCursor      = 0x0040
)
