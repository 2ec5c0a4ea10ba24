"""Fetching a calendar safely: only public https (local http with the flag), bounded, conditional, no secret leaked.

A real HTTP server runs on 127.0.0.1 in a thread; `socket.getaddrinfo` is patched to make host names
resolve where a test needs them to. No test touches the network.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest

from therapy_booking.adapters import calendar_fetch
from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
from therapy_booking.domain.calendar_import import (
    CalendarAddressRefused,
    CalendarSource,
    CalendarUnavailable,
    FeedNotModified,
    FeedValidators,
    FetchedFeed,
    calendar_host,
)
from therapy_booking.domain.errors import ValidationFailed

SECRET = "s3cr3t-private-token"
BODY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
ETAG = '"v1"'
LAST_MODIFIED = "Sun, 01 Mar 2026 08:00:00 GMT"
REAL_GETADDRINFO = socket.getaddrinfo


class Feed(BaseHTTPRequestHandler):
    """The test's calendar server: the path picks the behaviour."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        port = cast(ThreadingHTTPServer, self.server).server_port
        path = self.path.split("?", 1)[0]
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        if path == "/feed.ics":
            if self.headers.get("If-None-Match") == ETAG:
                self.answer(304)
            else:
                self.answer(200, BODY, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})
        elif path == "/missing.ics":
            self.answer(404, b"not here")
        elif path == "/big.ics":
            self.answer(200, b"x" * 5000)
        elif path == "/big-undeclared.ics":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif path == "/drip.ics":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.drip(b"x" * 1000)
        elif path == "/drip-headers.ics":
            self.drip(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 1000)
        elif path == "/to-local.ics":
            self.answer(302, headers={"Location": f"http://127.0.0.1:{port}/feed.ics?token={SECRET}"})
        elif path == "/relative.ics":
            self.answer(301, headers={"Location": f"/feed.ics?token={SECRET}"})
        elif path == "/to-private.ics":
            self.answer(302, headers={"Location": f"https://intranet.test/cal.ics?token={SECRET}"})
        elif path == "/to-metadata.ics":
            self.answer(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/loop.ics":
            self.answer(302, headers={"Location": f"/loop.ics?token={SECRET}"})
        else:
            self.answer(500)

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, data: bytes) -> None:
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            pass  # the fetcher hung up: that is the point


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    httpd.daemon_threads = True
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def local(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}?token={SECRET}"


def resolving(names: dict[str, list[str]], calls: list[str] | None = None) -> Callable[..., Any]:
    """A `getaddrinfo` answering `names` with the given addresses, the real one for anything else."""

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if calls is not None:
            calls.append(host)
        if host not in names:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        answers = []
        for address in names[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            answers.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return answers

    return fake


def assert_no_secret(error: BaseException) -> None:
    for text in (str(error), repr(error)):
        assert SECRET not in text
        assert "/feed" not in text and "token" not in text and "meta-data" not in text


def test_a_local_feed_is_fetched_with_the_flag_and_its_validators_captured(server: ThreadingHTTPServer) -> None:
    # Given the local stack's fetcher, when the local feed is fetched
    fetched = SafeCalendarFetcher(allow_local_http=True).fetch(local(server, "/feed.ics"), None)

    # Then the body and its ETag and Last-Modified come back
    assert fetched == FetchedFeed(BODY, FeedValidators(ETAG, LAST_MODIFIED))
    assert SECRET not in repr(fetched) and "VCALENDAR" not in repr(fetched)


def test_an_unchanged_feed_answers_not_modified_to_its_validators(server: ThreadingHTTPServer) -> None:
    # Given the validators of an earlier fetch
    validators = FeedValidators(ETAG, LAST_MODIFIED)

    # When the feed is fetched again with them
    result = SafeCalendarFetcher(allow_local_http=True).fetch(local(server, "/feed.ics"), validators)

    # Then it is not modified, and the request carried both conditional headers
    assert result == FeedNotModified()
    sent = server.seen[-1]  # type: ignore[attr-defined]
    assert sent["If-None-Match"] == ETAG
    assert sent["If-Modified-Since"] == LAST_MODIFIED


def test_the_local_feed_is_refused_without_the_flag(server: ThreadingHTTPServer) -> None:
    # Given the deployed fetcher, when the local feed is fetched, then it is refused (not https)
    with pytest.raises(CalendarAddressRefused) as raised:
        SafeCalendarFetcher().fetch(local(server, "/feed.ics"), None)
    assert isinstance(raised.value, ValidationFailed)  # a 422 when the therapist sets it
    assert_no_secret(raised.value)


def test_https_to_loopback_is_refused_even_with_the_flag() -> None:
    # Given the local flag, when an https address of 127.0.0.1 is fetched, then it is refused:
    # the flag allows plain http to 127.0.0.1 only
    with pytest.raises(CalendarAddressRefused):
        SafeCalendarFetcher(allow_local_http=True).fetch(f"https://127.0.0.1/feed.ics?token={SECRET}", None)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.20",
        "169.254.169.254",  # the cloud metadata service
        "169.254.10.10",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fd00:ec2::254",  # a unique local address (the IPv6 metadata service)
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "2002:a9fe:a9fe::1",  # 6to4 wrapping 169.254.169.254
        "64:ff9b::a00:5",  # NAT64 wrapping 10.0.0.5
        "::",
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host name that resolves to a non-public address
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"calendar.test": [address]}))

    # When its https address is fetched, then it is refused, naming the host only
    with pytest.raises(CalendarAddressRefused) as raised:
        SafeCalendarFetcher().fetch(f"https://calendar.test/feed.ics?token={SECRET}", None)
    assert "calendar.test" in str(raised.value)
    assert_no_secret(raised.value)


def test_a_host_is_refused_if_any_of_its_addresses_is_not_public(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host resolving to a public and a private address
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"calendar.test": ["93.184.216.34", "10.0.0.5"]}))

    # When it is fetched, then it is refused
    with pytest.raises(CalendarAddressRefused):
        SafeCalendarFetcher().fetch(f"https://calendar.test/feed.ics?token={SECRET}", None)


def test_the_connection_goes_to_the_checked_address_not_a_second_dns_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host that resolves to a public address once (and would resolve to loopback after)
    lookups: list[str] = []
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port, *a, **k: resolving({host: next(answers)}, lookups)(host, port)
    )
    connected: list[tuple[str, int]] = []

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", connect)

    # When it is fetched
    with pytest.raises(CalendarUnavailable) as raised:
        SafeCalendarFetcher().fetch(f"https://calendar.test/feed.ics?token={SECRET}", None)

    # Then it was resolved once and the connection went to that checked address
    assert lookups == ["calendar.test"]
    assert connected == [("93.184.216.34", 443)]
    assert str(raised.value) == "The calendar's host calendar.test could not be reached."


def test_a_tls_failure_is_unavailable(server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a public host whose connection lands on a server that does not speak TLS
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"calendar.test": ["93.184.216.34"]}))
    real_connect = socket.create_connection
    port = server.server_address[1]
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: real_connect(("127.0.0.1", port), *a))

    # When it is fetched over https, then it is unavailable with a sentence naming the host
    with pytest.raises(CalendarUnavailable) as raised:
        SafeCalendarFetcher(timeout_seconds=2).fetch(f"https://calendar.test/feed.ics?token={SECRET}", None)
    assert "calendar.test" in str(raised.value)
    assert_no_secret(raised.value)


def test_an_unknown_host_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host name that does not resolve
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)

    # When it is fetched, then it is unavailable (a sync can try again later), naming the host
    with pytest.raises(CalendarUnavailable) as raised:
        SafeCalendarFetcher().fetch(f"https://nowhere.test/feed.ics?token={SECRET}", None)
    assert str(raised.value) == "The calendar's host nowhere.test could not be found."
    assert not isinstance(raised.value, CalendarAddressRefused)


@pytest.mark.parametrize(
    "url",
    [
        f"http://calendar.example.com/feed.ics?token={SECRET}",  # plain http to a public host
        f"http://localhost:8000/feed.ics?token={SECRET}",  # the flag allows 127.0.0.1 only, by address
        f"file:///etc/passwd?token={SECRET}",
        f"ftp://calendar.example.com/feed.ics?token={SECRET}",
        f"javascript:alert('{SECRET}')",
        f"webcal://calendar.example.com/feed.ics?token={SECRET}",
        f"gopher://calendar.example.com/{SECRET}",
        f"https://user:{SECRET}@calendar.example.com/feed.ics",  # credentials
        f"https://{SECRET}@calendar.example.com/feed.ics",
        f"https:///feed.ics?token={SECRET}",  # no host
        f"https://calendar.example.com:99999/feed.ics?token={SECRET}",  # no such port
        f"https://[::1/feed.ics?token={SECRET}",  # not a URL
        f"{SECRET}",
    ],
)
def test_an_address_that_is_not_https_to_a_host_is_refused_without_a_lookup(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given any address but https to a host (even with the local flag)
    lookups: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", resolving({}, lookups))

    # When it is fetched, then it is refused before any lookup, without the secret in the sentence
    with pytest.raises(CalendarAddressRefused) as raised:
        SafeCalendarFetcher(allow_local_http=True).fetch(url, None)
    assert lookups == []
    assert_no_secret(raised.value)


def test_a_redirect_is_followed_when_its_target_is_allowed(server: ThreadingHTTPServer) -> None:
    # Given a local feed that redirects (absolute, then relative) to the feed
    fetcher = SafeCalendarFetcher(allow_local_http=True)

    # When each is fetched, then the feed's body comes back
    for path in ("/to-local.ics", "/relative.ics"):
        fetched = fetcher.fetch(local(server, path), None)
        assert isinstance(fetched, FetchedFeed) and fetched.body == BODY


@pytest.mark.parametrize("path", ["/to-private.ics", "/to-metadata.ics"])
def test_a_redirect_to_a_refused_address_is_refused(
    path: str, server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a feed redirecting to a host that resolves privately, or to the metadata service over http
    lookups: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"intranet.test": ["10.1.2.3"]}, lookups))

    # When it is fetched, then the redirect is refused, without its path or query in the sentence
    with pytest.raises(CalendarAddressRefused) as raised:
        SafeCalendarFetcher(allow_local_http=True).fetch(local(server, path), None)
    assert "redirected" in str(raised.value)
    assert_no_secret(raised.value)


def test_too_many_redirects_are_unavailable(server: ThreadingHTTPServer) -> None:
    # Given a feed that redirects to itself, when it is fetched, then it stops after the limit
    with pytest.raises(CalendarUnavailable, match="redirected more than 3 times") as raised:
        SafeCalendarFetcher(allow_local_http=True).fetch(local(server, "/loop.ics"), None)
    assert_no_secret(raised.value)


def test_an_http_error_is_unavailable_with_its_status(server: ThreadingHTTPServer) -> None:
    # Given a feed that answers 404, when it is fetched, then the sentence gives the status only
    with pytest.raises(CalendarUnavailable) as raised:
        SafeCalendarFetcher(allow_local_http=True).fetch(local(server, "/missing.ics"), None)
    assert str(raised.value) == "The calendar's address answered 404 (not found)."


@pytest.mark.parametrize("path", ["/big.ics", "/big-undeclared.ics"])
def test_an_oversized_feed_is_unavailable(path: str, server: ThreadingHTTPServer) -> None:
    # Given a size cap smaller than the feed (declared by Content-Length or not)
    fetcher = SafeCalendarFetcher(allow_local_http=True, max_bytes=1000)

    # When it is fetched, then it is unavailable as too large
    with pytest.raises(CalendarUnavailable, match="too large"):
        fetcher.fetch(local(server, path), None)


@pytest.mark.parametrize("path", ["/drip.ics", "/drip-headers.ics"])
def test_a_slow_drip_is_cut_off_at_the_deadline(path: str, server: ThreadingHTTPServer) -> None:
    # Given a server sending a byte every 20 ms (body or headers; 1000 bytes would take 20 s)
    fetcher = SafeCalendarFetcher(allow_local_http=True, timeout_seconds=0.5)

    # When it is fetched with a half-second deadline
    started = time.monotonic()
    with pytest.raises(CalendarUnavailable, match=r"did not answer within 0\.5 seconds"):
        fetcher.fetch(local(server, path), None)

    # Then it is cut off at the deadline
    assert time.monotonic() - started < 2


def test_the_fetcher_is_a_calendar_source() -> None:
    # Given the fetcher, then it offers both halves of the port (mypy checks the assignment)
    source: CalendarSource = SafeCalendarFetcher()
    assert callable(source.busy)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (f"https://calendar.google.com/calendar/ical/x%40group/private-{SECRET}/basic.ics", "calendar.google.com"),
        (f"https://user:{SECRET}@Outlook.Office365.com/owa/calendar/{SECRET}/calendar.ics", "outlook.office365.com"),
        (f"http://127.0.0.1:8123/feed.ics?token={SECRET}", "127.0.0.1"),
        (SECRET, ""),
        ("https://[::1/broken", ""),
    ],
)
def test_the_host_shown_is_never_the_secret(url: str, host: str) -> None:
    # Given an address, when its host is taken, then it is the host alone
    assert calendar_host(url) == host


def test_is_public_accepts_global_addresses() -> None:
    # Given global IPv4 and IPv6 addresses (and a mapped global one), then they are public
    import ipaddress

    for address in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert calendar_fetch.is_public(ipaddress.ip_address(address)), address


@pytest.mark.parametrize("url", ["https://calendar.example.com:8443/cal.ics", "https://calendar.example.com:22/x"])
def test_a_port_other_than_https_is_refused_before_any_lookup(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a lookup that would fail the test if it ran
    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no DNS lookup for a refused address")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    # When the address names another port / Then it is refused, naming no path
    with pytest.raises(CalendarAddressRefused, match="443"):
        SafeCalendarFetcher().fetch(url, None)
