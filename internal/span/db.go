package span

// Subtypes of the protocols the agent parses besides HTTP.
const (
	SubtypePostgres = "postgresql"
	SubtypeMySQL    = "mysql"
	SubtypeRedis    = "redis"
	SubtypeDNS      = "dns"
)

// DB is span.db of Elastic APM, for SQL and Redis calls. Statement is
// normalised by the parsers: no literal a user sent reaches the store.
type DB struct {
	Type      string `json:"type"`               // "sql" or "redis"
	Instance  string `json:"instance,omitempty"` // database name
	User      string `json:"user,omitempty"`
	Statement string `json:"statement,omitempty"` // SQL with literals as ?, or "GET key"
	Operation string `json:"operation,omitempty"` // SELECT, GET...
	// RowsAffected is the command tag's or OK packet's count; -1 unknown.
	RowsAffected int64  `json:"rows_affected"`
	ErrorCode    string `json:"error_code,omitempty"` // SQLSTATE, MySQL error number, Redis error prefix
	Error        string `json:"error,omitempty"`
}

// DNS holds a lookup, in ECS's dns.* shape.
type DNS struct {
	ID           int    `json:"id"`
	QuestionName string `json:"question_name"`
	QuestionType string `json:"question_type"`
	ResponseCode string `json:"response_code,omitempty"`
	Answers      int    `json:"answers"`
	Transport    string `json:"transport"` // udp or tcp
	Truncated    bool   `json:"truncated,omitempty"`
}
