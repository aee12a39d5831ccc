#!/usr/bin/env python3
"""users: the Python service of the accuracy topology.

GET /users/<id> reads the user from Redis and counts the lookup, on a
thread per connection (ThreadingHTTPServer, HTTP/1.1 keep-alive) with a
shared pool of Redis connections. Every request served and every Redis
call is written to the truth file in vigil accuracy's format.
"""
import argparse
import json
import os
import random
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PID = os.getpid()


class Truth:
    def __init__(self, path):
        self.f = open(path, "w", buffering=1 << 20)
        self.lock = threading.Lock()

    def record(self, span):
        span.update(service="users", pid=PID)
        line = json.dumps(span) + "\n"
        with self.lock:
            self.f.write(line)

    def close(self):
        with self.lock:
            self.f.flush()
            self.f.close()


def hex_id(n):
    return "%0*x" % (n, random.getrandbits(4 * n) or 1)


def addr(a):
    return "%s:%d" % (a[0], a[1])


class RedisPool:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.idle = []
        self.lock = threading.Lock()

    def do(self, truth, trace_id, parent_id, *args):
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        if conn is None:
            s = socket.create_connection((self.host, self.port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = (s, s.makefile("rb"))
        s, r = conn
        span = {"trace_id": trace_id, "span_id": hex_id(16), "parent_span_id": parent_id,
                "kind": "client", "protocol": "redis", "operation": args[0],
                "local_addr": addr(s.getsockname()), "peer_addr": addr(s.getpeername())}
        cmd = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args)
        span["start_unix_nano"] = time.time_ns()
        s.sendall(cmd)
        reply = read_reply(r)
        span["end_unix_nano"] = time.time_ns()
        truth.record(span)
        with self.lock:
            self.idle.append(conn)
        return reply


def read_reply(r):
    line = r.readline()
    kind, body = line[:1], line[1:-2]
    if kind in (b"+", b"-"):
        return body.decode()
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        return None if n < 0 else r.read(n + 2)[:-2].decode()
    if kind == b"*":
        return [read_reply(r) for _ in range(int(body))]
    raise ValueError("unknown redis reply %r" % line)


def make_handler(truth, redis):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            start = time.time_ns()
            parts = self.path.split("/")
            if len(parts) != 3 or parts[1] != "users" or not parts[2].isdigit():
                self.reply(404, {"error": "no such path"})
                return
            user = parts[2]
            tp = (self.headers.get("traceparent") or "").split("-")
            trace_id, parent = (tp[1], tp[2]) if len(tp) == 4 and len(tp[1]) == 32 else (hex_id(32), "")
            span_id = hex_id(16)
            name = redis.do(truth, trace_id, span_id, "GET", "user:" + user)
            lookups = redis.do(truth, trace_id, span_id, "INCR", "users:lookups")
            self.reply(200, {"user": user, "name": name, "lookups": lookups})
            truth.record({"trace_id": trace_id, "span_id": span_id, "parent_span_id": parent,
                          "kind": "server", "protocol": "http", "operation": "GET /users/{id}",
                          "start_unix_nano": start, "end_unix_nano": time.time_ns(),
                          "local_addr": addr(self.connection.getsockname()),
                          "peer_addr": addr(self.connection.getpeername())})

        def reply(self, status, body):
            b = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--redis", required=True)
    p.add_argument("--truth", required=True)
    a = p.parse_args()
    truth = Truth(a.truth)
    rhost, rport = a.redis.rsplit(":", 1)
    host, port = a.listen.rsplit(":", 1)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer((host, int(port)), make_handler(truth, RedisPool(rhost, int(rport))))

    def stop(*_):
        truth.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
