package redis

import "strings"

// keySpec says where a command's first key is: at argument index key
// (the command name is index 0), or, when numkeys > 0, at key only if the
// argument at numkeys is a positive count.
type keySpec struct{ key, numkeys int8 }

// Commands whose first argument is a key.
const firstArgKey = `GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX GETRANGE SETRANGE APPEND
STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT MGET MSET MSETNX DEL UNLINK EXISTS EXPIRE
PEXPIRE EXPIREAT PEXPIREAT EXPIRETIME PEXPIRETIME TTL PTTL PERSIST TYPE RENAME RENAMENX
COPY MOVE DUMP RESTORE TOUCH SORT SORT_RO WATCH LCS SUBSTR HGET HSET HSETNX HMSET HMGET
HDEL HEXISTS HGETALL HKEYS HVALS HLEN HINCRBY HINCRBYFLOAT HSTRLEN HSCAN HRANDFIELD
HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HEXPIRETIME HPEXPIRETIME HTTL HPTTL HPERSIST
HGETDEL HGETEX HSETEX LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE LLEN LINDEX LSET LREM
LTRIM LINSERT LPOS LMOVE RPOPLPUSH BLPOP BRPOP BLMOVE BRPOPLPUSH SADD SREM SMEMBERS
SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF SINTERSTORE
SUNIONSTORE SDIFFSTORE SSCAN ZADD ZREM ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE
ZRANGEBYLEX ZREVRANGEBYLEX ZRANGESTORE ZCARD ZSCORE ZMSCORE ZINCRBY ZRANK ZREVRANK
ZCOUNT ZLEXCOUNT ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
BZPOPMIN BZPOPMAX ZSCAN ZRANDMEMBER ZUNIONSTORE ZINTERSTORE ZDIFFSTORE XADD XLEN XRANGE
XREVRANGE XDEL XTRIM XACK XCLAIM XAUTOCLAIM XPENDING XSETID PFADD PFCOUNT PFMERGE GEOADD
GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO GEORADIUSBYMEMBER_RO
GEOSEARCH GEOSEARCHSTORE SETBIT GETBIT BITCOUNT BITPOS BITFIELD BITFIELD_RO`

// Commands without keys (or whose arguments are not keys: channels,
// scripts, passwords); listed so that Detect knows them.
const noKey = `PING ECHO AUTH HELLO SELECT QUIT RESET INFO DBSIZE FLUSHDB FLUSHALL
MULTI EXEC DISCARD UNWATCH KEYS SCAN RANDOMKEY TIME LASTSAVE SAVE BGSAVE BGREWRITEAOF
SHUTDOWN MONITOR SYNC PSYNC REPLICAOF SLAVEOF ROLE WAIT WAITAOF FAILOVER SWAPDB LOLWUT
PUBLISH SPUBLISH SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE
XREAD XREADGROUP READONLY READWRITE ASKING CLIENT CONFIG CLUSTER SCRIPT FUNCTION ACL
MEMORY COMMAND PUBSUB MODULE LATENCY SLOWLOG DEBUG`

// Container commands keep their subcommand in Exchange.Command.
const containerNames = `CLIENT CONFIG CLUSTER XINFO OBJECT SCRIPT FUNCTION ACL MEMORY
COMMAND XGROUP PUBSUB MODULE LATENCY SLOWLOG DEBUG`

var (
	commands   = map[string]keySpec{}
	containers = map[string]bool{}
	names      = map[string]string{} // interned upper-case names
)

func init() {
	for _, c := range strings.Fields(firstArgKey) {
		commands[c] = keySpec{key: 1}
	}
	for _, c := range strings.Fields(noKey) {
		commands[c] = keySpec{}
	}
	for _, c := range strings.Fields(containerNames) {
		containers[c] = true
		commands[c] = keySpec{}
	}
	for _, c := range strings.Fields("OBJECT_ENCODING OBJECT_FREQ OBJECT_IDLETIME OBJECT_REFCOUNT XINFO_STREAM XINFO_GROUPS XINFO_CONSUMERS MEMORY_USAGE XGROUP_CREATE XGROUP_DESTROY XGROUP_CREATECONSUMER XGROUP_DELCONSUMER XGROUP_SETID") {
		commands[strings.Replace(c, "_", " ", 1)] = keySpec{key: 2}
	}
	commands["BITOP"] = keySpec{key: 2} // BITOP op destkey key...
	for _, c := range strings.Fields("EVAL EVALSHA EVAL_RO EVALSHA_RO FCALL FCALL_RO") {
		commands[c] = keySpec{key: 3, numkeys: 2}
	}
	for _, c := range strings.Fields("ZUNION ZINTER ZDIFF SINTERCARD ZINTERCARD LMPOP ZMPOP") {
		commands[c] = keySpec{key: 2, numkeys: 1}
	}
	for _, c := range strings.Fields("BLMPOP BZMPOP") {
		commands[c] = keySpec{key: 3, numkeys: 2}
	}
	for c := range commands {
		names[c] = c
	}
}

// upperToken upper-cases a command name into buf; false when it is not a
// plausible name (module commands have dots: JSON.GET).
func upperToken(b []byte, buf *[32]byte) ([]byte, bool) {
	if len(b) == 0 || len(b) > len(buf) {
		return nil, false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == ':', c == '|':
		default:
			return nil, false
		}
		buf[i] = c
	}
	return buf[:len(b)], true
}

// knownCommand tells whether b names a command of the table.
func knownCommand(b []byte) bool {
	var buf [32]byte
	u, ok := upperToken(b, &buf)
	if !ok {
		return false
	}
	_, ok = commands[string(u)]
	return ok
}

// command names a request: its name (with subcommand for containers), the
// first key and whether the parts it needed were all captured.
func command(f *frame) (name, key string, ok bool) {
	c0 := &f.caps[0]
	if c0.lost || len(c0.b) < c0.want {
		return "", "", false
	}
	var buf [32]byte
	u, valid := upperToken(c0.b, &buf)
	if !valid {
		return "UNKNOWN", "", true
	}
	name, known := names[string(u)]
	if !known {
		name = string(u)
	}
	if containers[name] && f.elems > 1 {
		c1 := &f.caps[1]
		var buf1 [32]byte
		if sub, valid := upperToken(c1.b, &buf1); valid && !c1.lost && len(c1.b) == c1.want {
			full := name + " " + string(sub)
			if n, ok := names[full]; ok {
				name = n
			} else {
				name = full
			}
		}
	}
	spec := commands[name]
	if spec.key == 0 || int(spec.key) >= f.elems {
		return name, "", true
	}
	if spec.numkeys > 0 {
		nk := &f.caps[spec.numkeys]
		if nk.lost || len(nk.b) < nk.want {
			return name, "", false
		}
		if n, ok := atoi(nk.b); !ok || n <= 0 {
			return name, "", true
		}
	}
	k := &f.caps[spec.key]
	if k.lost || len(k.b) < k.want {
		return name, "", false
	}
	return name, string(k.b), true
}
