"""The local stack serves the built web app at /app (local_stack/web_app.py): from a build made here in a temporary
directory, first as `WebApp` answers, then over HTTP through the stack's own request handler."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from local_stack.runtime import HttpAnswer, LocalStack
from local_stack.server import LocalServer, make_server
from local_stack.web_app import NOT_BUILT, WebApp

INDEX = b'<!doctype html><html lang="en"><head><script type="module" src="/app/assets/index-abc123.js"></script>'
SCRIPT = b"console.log('app')"
STYLE = b"body{margin:0}"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A Vite build as `base: '/app/'` lays it out, beside a secret it must never serve."""
    built = tmp_path / "web" / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_bytes(INDEX)
    (built / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (built / "assets" / "index-abc123.css").write_bytes(STYLE)
    (built / "assets" / "logo-def456.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (built / "assets" / "font-0a1b2c.woff2").write_bytes(b"wOF2")
    (built / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    (built / "robots.txt").write_bytes(b"User-agent: *\n")
    (tmp_path / "web" / "secret.txt").write_bytes(b"SECRET")
    (tmp_path / "secret.txt").write_bytes(b"SECRET")
    return built


def get(app: WebApp, path: str) -> HttpAnswer:
    answer = app.handle("GET", path)
    assert answer is not None, path
    return answer


def test_other_paths_are_not_the_apps(dist: Path) -> None:
    app = WebApp(dist)
    for path in ("/", "/application", "/apps/x", "/docs", "/sessions", "/dev/health", "/openapi.json"):
        assert app.handle("GET", path) is None, path
    # and other methods on /app are left to the API (404: no such route)
    assert app.handle("POST", "/app/") is None


def test_app_without_a_slash_redirects_to_the_index(dist: Path) -> None:
    answer = get(WebApp(dist), "/app")
    assert (answer.status, answer.headers["location"]) == (308, "/app/")


@pytest.mark.parametrize("path", ["/app/", "/app/sessions", "/app/sessions/5c8e2a71/cancel", "/app/therapists/"])
def test_the_index_and_every_route_of_the_app_answer_index_html(dist: Path, path: str) -> None:
    answer = get(WebApp(dist), path)
    assert answer.status == 200
    assert answer.body == INDEX
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"  # a new build is seen at the next load


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/app/assets/index-abc123.js", "text/javascript; charset=utf-8", SCRIPT),
        ("/app/assets/index-abc123.css", "text/css; charset=utf-8", STYLE),
        ("/app/assets/logo-def456.svg", "image/svg+xml", None),
        ("/app/assets/font-0a1b2c.woff2", "font/woff2", b"wOF2"),
        ("/app/favicon.ico", "image/x-icon", None),
        ("/app/robots.txt", "text/plain; charset=utf-8", None),
        ("/app/index.html", "text/html; charset=utf-8", INDEX),
    ],
)
def test_files_are_served_with_their_content_type(dist: Path, path: str, content_type: str, body: bytes | None) -> None:
    answer = get(WebApp(dist), path)
    assert answer.status == 200
    assert answer.headers["content-type"] == content_type
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.body == (body if body is not None else (dist / path.removeprefix("/app/")).read_bytes())


def test_hashed_assets_are_cached_for_good_and_the_rest_revalidated(dist: Path) -> None:
    app = WebApp(dist)
    assert get(app, "/app/assets/index-abc123.js").headers["cache-control"] == "public, max-age=31536000, immutable"
    assert get(app, "/app/favicon.ico").headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_404_not_the_index(dist: Path) -> None:
    answer = get(WebApp(dist), "/app/assets/index-gone.js")
    assert answer.status == 404
    assert answer.body != INDEX


@pytest.mark.parametrize(
    "path",
    [
        "/app/../secret.txt",
        "/app/../../secret.txt",
        "/app/assets/../../secret.txt",
        "/app/%2e%2e/secret.txt",
        "/app/%2E%2E/%2E%2E/secret.txt",
        "/app/..%2fsecret.txt",
        "/app/..%2F..%2Fsecret.txt",
        "/app/assets%2f..%2f..%2fsecret.txt",
        "/app/..%5csecret.txt",
        "/app/..\\secret.txt",
        "/app//etc/passwd",
        "/app/%2fetc%2fpasswd",
        "/app/./index.html",
        "/app/assets//index-abc123.js",
        "/app/%00",
        "/app/%ff%fe",
    ],
)
def test_a_path_out_of_the_build_is_404(dist: Path, path: str) -> None:
    answer = get(WebApp(dist), path)
    assert (answer.status, answer.headers["content-type"]) == (404, "text/plain; charset=utf-8"), path
    assert b"SECRET" not in answer.body


def test_a_path_is_decoded_once_only(dist: Path) -> None:
    # %252e%252e is the name "%2e%2e", not "..": no such file, so a route of the app's (the index), not the secret
    answer = get(WebApp(dist), "/app/%252e%252e/secret.txt")
    assert (answer.status, answer.body) == (200, INDEX)


def test_a_symbolic_link_out_of_the_build_is_not_followed(dist: Path) -> None:
    (dist / "assets" / "leak.txt").symlink_to(dist.parent / "secret.txt")
    (dist / "escape").symlink_to(dist.parent)
    app = WebApp(dist)
    assert get(app, "/app/assets/leak.txt").status == 404
    for path in ("/app/escape/secret.txt", "/app/escape"):
        assert b"SECRET" not in get(app, path).body, path


def test_without_a_build_every_app_path_says_to_run_make_web(tmp_path: Path) -> None:
    app = WebApp(tmp_path / "web" / "dist")
    for path in ("/app/", "/app/sessions", "/app/assets/index-abc123.js"):
        answer = get(app, path)
        assert answer.status == 503
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.body.decode() == NOT_BUILT
        assert "run `make web`" in NOT_BUILT
    # an empty dist (a build that failed half-way) too
    (tmp_path / "web" / "dist" / "assets").mkdir(parents=True)
    assert get(app, "/app/").status == 503


# --- over HTTP, through the stack's request handler ----------------------------------------------


class ApiStub:
    """What the request handler needs of the stack: its lock, and the API (which knows no /app route)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.api_calls: list[str] = []

    def handle_api(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> HttpAnswer:
        self.api_calls.append(f"{method} {path}")
        return HttpAnswer(404, {"content-type": "application/json"}, json.dumps({"message": "Not Found"}).encode())


@pytest.fixture
def served(dist: Path) -> Iterator[tuple[LocalServer, ApiStub]]:
    api = ApiStub()
    server = make_server(cast(LocalStack, api), "127.0.0.1", 0, web_dist=dist)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def request(server: LocalServer, method: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """The request line exactly as given (no client-side normalisation of `..` or escapes), redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        connection.putrequest(method, raw_path, skip_accept_encoding=True)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_over_http_the_app_its_assets_and_its_routes_are_served(served: tuple[LocalServer, Any]) -> None:
    server, api = served
    status, headers, _ = request(server, "GET", "/app")
    assert (status, headers["location"]) == (308, "/app/")
    status, headers, body = request(server, "GET", "/app/?from=email")
    assert (status, headers["content-type"], body) == (200, "text/html; charset=utf-8", INDEX)
    assert request(server, "GET", "/app/sessions/abc?tab=history")[2] == INDEX
    status, headers, body = request(server, "GET", "/app/assets/index-abc123.js")
    assert (status, headers["content-type"], body) == (200, "text/javascript; charset=utf-8", SCRIPT)
    assert int(headers["content-length"]) == len(SCRIPT)
    assert api.api_calls == []  # files are not the API's business


@pytest.mark.parametrize(
    "raw_path", ["/app/../secret.txt", "/app/%2e%2e/%2e%2e/secret.txt", "/app/..%2f..%2fsecret.txt", "/app//secret.txt"]
)
def test_over_http_traversal_is_404(served: tuple[LocalServer, Any], raw_path: str) -> None:
    server, _ = served
    status, _, body = request(server, "GET", raw_path)
    assert status == 404
    assert b"SECRET" not in body


def test_over_http_other_methods_and_paths_go_to_the_api(served: tuple[LocalServer, Any]) -> None:
    server, api = served
    assert request(server, "POST", "/app/")[0] == 404
    assert request(server, "GET", "/sessions")[0] == 404
    assert api.api_calls == ["POST /app/", "GET /sessions"]
