#!/usr/bin/env python3
"""A fault-injecting stand-in for an OpenAI-compatible model server (and Ollama's /api/chat),
for the faults a real server cannot produce on demand: 500s, 429 with Retry-After, slow
replies, truncated or invalid JSON, schema violations, oversized bodies, a dropped connection.
Also a fixed-latency model with N slots for the throughput benchmark.

The scenario comes from the prompt's first line, `SCENARIO:<name>[:<key>]`, else from
--scenario. Counters are kept per full scenario token, so `SCENARIO:500-once:a` fails once.
Valid answers are the smallest instance of the request's schema (so the client's validation
passes). GET /_requests returns what was received, /_stats the count and most requests in flight at once; /props answers like llama-server (vision
false unless --vision) unless --no-props.

Usage: fake_model_server.py [--port 0] [--scenario ok] [--latency 0] [--slots 1] [--slow 5] [--no-props] [--vision] [--port-file F]
Prints "listening on PORT" on stdout once ready.
"""
import argparse
import json
import os
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
COUNTS = {}
REQUESTS = []
SLOTS = None
INFLIGHT = [0, 0]  # now, most at once


def minimal(schema):
    """The smallest instance of a JSON Schema (the subset chartex sends)."""
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    t = schema.get("type", "object")
    if isinstance(t, list):
        t = "string" if "string" in t else t[0]
    if t == "object":
        props = schema.get("properties", {})
        return {k: minimal(props.get(k, {})) for k in schema.get("required", [])}
    if t == "array":
        return [minimal(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if t == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if t in ("number", "integer"):
        return schema.get("minimum", 1)
    if t == "boolean":
        return True
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                return self.reply(200, REQUESTS)
        if self.path == "/_stats":
            with LOCK:
                return self.reply(200, {"requests": len(REQUESTS), "maxInFlight": INFLIGHT[1]})
        if self.path == "/health":
            return self.reply(200, {"status": "ok"})
        if self.path == "/props" and not ARGS.no_props:
            return self.reply(200, {"modalities": {"vision": ARGS.vision}, "default_generation_settings": {"n_ctx": 4096}})
        if self.path in ("/v1/models", "/api/tags"):
            return self.reply(200, {"data": [{"id": "fake"}], "models": [{"name": "fake"}]})
        self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        with LOCK:
            INFLIGHT[0] += 1
            INFLIGHT[1] = max(INFLIGHT[1], INFLIGHT[0])
        try:
            self.post()
        finally:
            with LOCK:
                INFLIGHT[0] -= 1

    def post(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        with LOCK:
            REQUESTS.append({"path": self.path, "body": request, "authorization": self.headers.get("Authorization")})
            index = len(REQUESTS) - 1
        messages = request.get("messages", [])
        content = messages[0].get("content", "") if messages else ""
        images = False
        if isinstance(content, list):
            images = any(p.get("type") == "image_url" for p in content)
            content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
        if self.path == "/api/chat" and messages and messages[0].get("images"):
            images = True
        token = ARGS.scenario
        first = content.split("\n", 1)[0].strip()
        if first.startswith("SCENARIO:"):
            token = first[len("SCENARIO:"):]
        name = token.split(":")[0]
        with LOCK:
            COUNTS[token] = COUNTS.get(token, 0) + 1
            n = COUNTS[token]
        rf = request.get("response_format") or {}
        schema = request.get("format") if self.path == "/api/chat" else (rf.get("json_schema") or {}).get("schema") or rf.get("schema")
        if not schema and "JSON Schema:\n" in content:  # dialect none: the schema is in the prompt
            try:
                schema = json.loads(content.split("JSON Schema:\n", 1)[1])
            except ValueError:
                schema = None
        answer = json.dumps(minimal(schema) if schema else {"answer": "ok"})

        if name == "500-once" and n == 1 or name == "500-always":
            return self.reply(500, {"error": {"message": "internal server error (injected)"}})
        if name == "429-once" and n == 1 or name == "429-always":
            return self.reply(429, {"error": {"message": "rate limited (injected)"}}, {"Retry-After": "1"})
        if name == "slow" or (name == "slow-once" and n == 1):
            # Wait, watching the socket: a client that hangs up is recorded (the request's
            # "disconnectedAfter", in seconds) and gets no answer.
            started = time.monotonic()
            while time.monotonic() - started < float(ARGS.slow):
                readable, _, _ = select.select([self.connection], [], [], 0.1)
                if readable:
                    try:
                        gone = self.connection.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        gone = True
                    if gone:
                        with LOCK:
                            REQUESTS[index]["disconnectedAfter"] = round(time.monotonic() - started, 3)
                        self.close_connection = True
                        return None
                    time.sleep(0.1)
        if name == "vision-refuse" and images:
            return self.reply(500, {"error": {"message": "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"}})
        if name == "drop":
            # Promise a body, send half, close: a lost connection.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if name == "truncated":
            answer = answer[: max(1, len(answer) // 2)] if len(answer) > 2 else '{"medic'
        elif name == "invalid":
            answer = "I am sorry, I cannot read this page."
        elif name == "violates" or (name == "repairable" and n == 1):
            answer = json.dumps({"unexpected": [1, 2, 3]})
        elif name == "oversized":
            answer = "x" * (5 << 20)
        elif name == "medgemma":
            answer = "<unused94>thought\nThe page lists nothing.<unused95>```json\n" + answer + "\n```\n```json\n" + answer + "\n```"

        if SLOTS is not None:
            with SLOTS:
                time.sleep(ARGS.latency)
        if self.path == "/api/chat":
            return self.reply(200, {"model": request.get("model"), "message": {"role": "assistant", "content": answer},
                                    "done": True, "done_reason": "length" if name == "truncated" else "stop"})
        self.reply(200, {"id": "fake", "object": "chat.completion", "model": request.get("model"),
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                      "finish_reason": "length" if name == "truncated" else "stop"}],
                         "usage": {"prompt_tokens": len(content) // 4, "completion_tokens": len(answer) // 4}})


def main():
    global ARGS, SLOTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--scenario", default="ok")
    ap.add_argument("--latency", type=float, default=0)
    ap.add_argument("--slots", type=int, default=1)
    ap.add_argument("--slow", type=float, default=5)
    ap.add_argument("--no-props", action="store_true")
    ap.add_argument("--vision", action="store_true", help="/props reports a vision model")
    ap.add_argument("--port-file", help="write the port here once listening")
    ARGS = ap.parse_args()
    if ARGS.latency > 0:
        SLOTS = threading.BoundedSemaphore(ARGS.slots)
    # Exit when the process that started us is gone (a test run killed midway).
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
