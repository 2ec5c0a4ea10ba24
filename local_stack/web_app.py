"""The reference dashboard at /app: the files Vite built into web/dist (`make web`), served as a static site.

`GET /app` redirects to `/app/`; `/app/` and every `/app/<path>` that names no file answer index.html, so the
app's own router takes the path (a reload of /app/sessions/123 works). A missing file under /app/assets/ is a
404, never index.html: a script or style sheet that fails should fail visibly. A path that tries to leave the
build (`..`, encoded or not, a backslash, an absolute path, a symbolic link out of it) is answered 404, like a
file that is not there. Without a build (no web/dist/index.html), every /app path answers 503, saying how to
build it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from local_stack.runtime import HttpAnswer
from local_stack.template import REPO_ROOT

WEB_DIST = REPO_ROOT / "web" / "dist"
PREFIX = "/app"
ASSETS = "assets/"  # Vite's hashed files: cached for good (a new build gives new names)
INDEX = "index.html"

# The types a Vite build holds, named here so they do not depend on the machine's /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}
NOT_BUILT = (
    "The web app is not built: run `make web` (npm ci and a Vite build into web/dist), then reload this page.\n"
    "`make run` builds it when web/dist/index.html is missing.\n"
)


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _text(status: int, text: str) -> HttpAnswer:
    return HttpAnswer(status, {"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"}, text.encode())


class WebApp:
    """Answers GET /app and everything under it from `dist`; None for any other request."""

    def __init__(self, dist: Path = WEB_DIST) -> None:
        self.dist = dist

    def handle(self, method: str, path: str) -> HttpAnswer | None:
        """`path` as the request line has it (percent-encoded, no query)."""
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return None
        if method != "GET":
            return None  # the API answers it (404: no such route)
        if path == PREFIX:
            return HttpAnswer(308, {"location": PREFIX + "/", "content-type": "text/plain; charset=utf-8"}, b"")
        root = self.dist.resolve()
        index = root / INDEX
        if not index.is_file():
            return _text(503, NOT_BUILT)
        relative = self._relative(path.removeprefix(PREFIX + "/"))
        if relative is None:
            return _text(404, "Not found.\n")
        if relative == "":
            return self._file(index, immutable=False)
        try:
            target = (root / relative).resolve()
            found = target.is_relative_to(root) and target.is_file()  # not a symbolic link out of the build
        except OSError:  # a name too long, say
            return _text(404, "Not found.\n")
        if found:
            return self._file(target, immutable=relative.startswith(ASSETS))
        if relative.startswith(ASSETS) or (root / relative).is_symlink():
            return _text(404, "Not found.\n")
        return self._file(index, immutable=False)  # a route of the app's own

    @staticmethod
    def _relative(encoded: str) -> str | None:
        """The path below /app/, decoded; None if it could name anything outside the build."""
        try:
            decoded = unquote(encoded, errors="strict")
        except UnicodeDecodeError:
            return None
        if "\x00" in decoded or "\\" in decoded or decoded.startswith("/"):
            return None
        segments = decoded.split("/")
        if any(segment in (".", "..") for segment in segments):
            return None
        if any(segment == "" for segment in segments[:-1]):
            return None  # `a//b`: no file has that name
        return decoded

    @staticmethod
    def _file(path: Path, immutable: bool) -> HttpAnswer:
        headers = {
            "content-type": content_type(path),
            "cache-control": "public, max-age=31536000, immutable" if immutable else "no-cache",
            "x-content-type-options": "nosniff",
        }
        return HttpAnswer(200, headers, path.read_bytes())
