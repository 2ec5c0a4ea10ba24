"""A calendar feed served on 127.0.0.1 by the test itself: what the therapist's external calendar says now."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import loopback_server


def ics(*events: tuple[datetime, datetime], name: str = "Work") -> bytes:
    """A calendar of busy events (UTC), as a calendar app exports it."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Feed//EN", f"X-WR-CALNAME:{name}"]
    for index, (start, end) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{index}@test.example",
            f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{end:%Y%m%dT%H%M%SZ}",
            "SUMMARY:Busy",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass
class Feed:
    """What the server answers: `body` with `status`, an ETag of the body (so an unchanged feed is a 304)."""

    body: bytes = b""
    status: int = 200
    requests: int = 0

    @property
    def etag(self) -> str:
        return f'"{abs(hash(self.body))}"'


@contextmanager
def serving(feed: Feed) -> Iterator[str]:
    """Serve `feed` on a free port of 127.0.0.1; yields its address (http, as only the local stack allows)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.requests += 1
            if feed.status != 200:
                self.send_response(feed.status)
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == feed.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", feed.etag)
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    with loopback_server(Handler) as base:
        yield base + "private-secret-token/basic.ics"
