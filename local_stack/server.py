"""The local stack's HTTP front: the API as API Gateway serves it, plus the /dev routes and the built web app."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_stack.auth import MAX_LIFETIME, ROLE_GROUPS
from local_stack.openapi import SWAGGER_PAGE, merged_openapi
from local_stack.runtime import HttpAnswer, LocalStack
from local_stack.web_app import WEB_DIST, WebApp

log = logging.getLogger("local_stack.http")
MAX_CLOCK_ADVANCE = 400 * 24 * 3600
IDLE_TIMEOUT_SECONDS = 2.0
MAX_BODY_BYTES = 10 * 2**20  # API Gateway's limit
LISTEN_BACKLOG = 1024  # connections the kernel holds until they are accepted
# Swagger UI 5 (OpenAPI 3.1), as swagger-ui-py ships it (requirements-dev.txt pins it), served from here: no CDN.
SWAGGER_UI = files("swagger_ui") / "static"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "favicon-32x32.png": "image/png",
}


def _json(status: int, body: Any) -> HttpAnswer:
    return HttpAnswer(status, {"content-type": "application/json"}, json.dumps(body).encode())


def _problem(status: int, detail: str) -> HttpAnswer:
    """A problem written as the API writes its own (the layer is on the path once the stack has started)."""
    from therapy_booking.api.problems import PROBLEM_CONTENT_TYPE, VALIDATION_ERROR, problem_json

    body = problem_json(status, VALIDATION_ERROR, detail)
    return HttpAnswer(status, {"content-type": PROBLEM_CONTENT_TYPE}, body.encode())


class DevRoutes:
    """The development-only routes of API.md's "Local stack" table, and the API docs."""

    def __init__(self, stack: LocalStack, base_url: str) -> None:
        self.stack = stack
        self.base_url = base_url

    def handle(self, method: str, path: str, body: bytes) -> HttpAnswer | None:
        routes: dict[tuple[str, str], Callable[[], HttpAnswer]] = {
            ("GET", "/dev/health"): lambda: _json(200, {"status": "ok"}),
            ("POST", "/dev/token"): lambda: self.token(body),
            ("GET", "/dev/clock"): self.clock,
            ("POST", "/dev/clock"): lambda: self.advance(body),
            ("GET", "/dev/outbox"): lambda: _json(200, self.stack.outbox()),
            ("GET", "/dev/dlq"): lambda: _json(200, {"items": self.stack.dead_letters}),
            ("POST", "/dev/reset"): self.reset,
            ("GET", "/dev/jwks.json"): lambda: _json(200, self.stack.issuer.jwks()),
            ("GET", "/openapi.json"): lambda: _json(200, merged_openapi(self.stack.functions, self.base_url)),
            ("GET", "/docs"): lambda: HttpAnswer(200, {"content-type": "text/html"}, SWAGGER_PAGE.encode()),
        }
        if (method, path) in routes:
            return routes[(method, path)]()
        asset = path.removeprefix("/docs/")
        if method == "GET" and asset in DOCS_ASSETS:
            content = (SWAGGER_UI / asset).read_bytes()
            return HttpAnswer(200, {"content-type": DOCS_ASSETS[asset]}, content)
        return None

    @staticmethod
    def _object(body: bytes) -> dict[str, Any] | None:
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def token(self, body: bytes) -> HttpAnswer:
        request = self._object(body)
        if request is None:
            return _problem(422, "The body must be a JSON object {sub, role, expires_in?}.")
        sub, role, expires_in = request.get("sub"), request.get("role"), request.get("expires_in", 3600)
        if not isinstance(sub, str) or not 0 < len(sub) <= 128:
            return _problem(422, "sub: a non-empty string of at most 128 characters is required.")
        if role not in ROLE_GROUPS:
            return _problem(422, f"role: one of {', '.join(ROLE_GROUPS)} is required.")
        if not isinstance(expires_in, int) or isinstance(expires_in, bool) or abs(expires_in) > MAX_LIFETIME:
            return _problem(422, f"expires_in: whole seconds, at most {MAX_LIFETIME} (negative: already expired).")
        return _json(200, {"token": self.stack.issuer.issue(sub, role, expires_in), "expires_in": expires_in})

    def clock(self) -> HttpAnswer:
        return _json(200, {"now": self.stack.clock.now().isoformat().replace("+00:00", "Z")})

    def advance(self, body: bytes) -> HttpAnswer:
        request = self._object(body)
        seconds = request.get("advance_seconds") if request else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 < seconds <= MAX_CLOCK_ADVANCE:
            return _problem(422, f"advance_seconds: a positive number of seconds, at most {MAX_CLOCK_ADVANCE}.")
        self.stack.advance_clock(seconds)
        return self.clock()

    def reset(self) -> HttpAnswer:
        self.stack.reset()
        return _json(200, {"status": "reset"})


def make_handler(stack: LocalStack, dev: DevRoutes, web: WebApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Each connection has its own thread, which reads the request, waits its turn for the stack (one
        # request at a time, see runtime), then writes the answer and closes the connection (a browser would
        # keep it open). A connection that sends nothing for a while is dropped, so threads do not pile up.
        protocol_version = "HTTP/1.1"
        server_version = "therapy-booking-local"
        timeout = IDLE_TIMEOUT_SECONDS

        def _serve(self) -> None:
            started = time.perf_counter()
            url = urlsplit(self.path)
            body = self._body()
            try:
                if isinstance(body, HttpAnswer):
                    answer = body
                elif (static := web.handle(self.command, url.path)) is not None:
                    answer = static  # files only: no need to wait for the stack
                else:
                    with stack.lock:
                        answer = dev.handle(self.command, url.path, body) or stack.handle_api(
                            self.command, url.path, url.query, dict(self.headers.items()), body
                        )
            except Exception:
                log.exception("local stack error")
                answer = _json(500, {"message": "Internal Server Error"})
            elapsed = (time.perf_counter() - started) * 1000
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("access-control-allow-origin", "*")
                self.send_header("content-length", str(len(answer.body)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: its problem, not ours
                log.info("%s %s %d %.1fms (the client had gone)", self.command, url.path, answer.status, elapsed)
                return
            log.info("%s %s %d %.1fms", self.command, url.path, answer.status, elapsed)

        def _body(self) -> bytes | HttpAnswer:
            """The request's body, or the answer API Gateway gives a body it will not read."""
            raw = self.headers.get("content-length")
            if raw is None:
                if self.headers.get("transfer-encoding"):
                    return _problem(411, "Send the body with a Content-Length header (no chunked bodies).")
                return b""
            if not raw.strip().isdigit():
                return _problem(400, "The Content-Length header is not a number.")
            length = int(raw)
            if length > MAX_BODY_BYTES:
                return _problem(413, f"A request body is at most {MAX_BODY_BYTES // 2**20} MB.")
            return self.rfile.read(length) if length else b""

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self.send_header("access-control-allow-origin", "*")
            self.send_header("access-control-allow-methods", "GET, POST, PUT, DELETE, OPTIONS")
            self.send_header("access-control-allow-headers", "authorization, content-type, idempotency-key")
            self.send_header("content-length", "0")
            self.send_header("connection", "close")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silenced: one line per request is logged by `_serve`, without query strings or bodies."""

    return Handler


class LocalServer(ThreadingHTTPServer):
    """Accepts many connections at once, a thread each; the handlers take turns on the stack's lock."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


def make_server(stack: LocalStack, host: str, port: int, web_dist: Path = WEB_DIST) -> LocalServer:
    """A server that takes every connection at once and answers one request at a time (see runtime:
    moto and Powertools want that); the web app's files from `web_dist` at /app."""
    dev = DevRoutes(stack, base_url="")
    server = LocalServer((host, port), make_handler(stack, dev, WebApp(web_dist)))
    dev.base_url = f"http://{host}:{server.server_port}"
    return server
