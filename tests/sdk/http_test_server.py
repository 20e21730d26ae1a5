#!/usr/bin/env python3
"""A tiny HTTP(S) server for the SDK HTTP client tests.

Usage: http_test_server.py [CERT KEY [CLIENT_CA]]  -- prints the port, then serves.
  /echo   replies JSON {method, path, headers, body}
  /big    replies 1 MiB of 'x'
  /slow   waits 3 s, then replies
  /status/N replies status N
"""
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/big"):
            return self.reply(200, b"x" * (1 << 20), "text/plain")
        if self.path.startswith("/slow"):
            time.sleep(3)
            return self.reply(200, b"late", "text/plain")
        if self.path.startswith("/status/"):
            return self.reply(int(self.path.split("/")[2]), b"{}")
        echo = {"method": self.command, "path": self.path, "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()}}
        return self.reply(200, json.dumps(echo).encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) >= 3:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    if len(sys.argv) >= 4:
        context.load_verify_locations(sys.argv[3])
        context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
