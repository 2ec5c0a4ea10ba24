"""Fetching a therapist's iCal address safely (`CalendarSource.fetch`), with the standard library only.

The address is given by a user and fetched by our servers, so it must not reach anything private
(server-side request forgery):

- only `https://` (and `http://127.0.0.1[:port]` when `allow_local_http`, for the local stack);
- the host is resolved once and every address it resolves to must be global (no loopback, private,
  link-local with the 169.254.169.254 metadata service, CGNAT, multicast, reserved or unspecified
  address; IPv6 forms wrapping an IPv4 address are unwrapped and checked), then the connection goes
  to that checked address itself, so a second DNS answer cannot swap it (TLS still verifies the
  certificate for the host name, sent as SNI);
- redirects are followed by hand, at most `max_redirects`, each target checked the same way;
- at most `max_bytes` are read and the whole fetch, redirects included, has one deadline
  (`timeout_seconds`): a watchdog shuts the socket when it passes, so a slow drip is cut off too.

The address is a secret: messages name its host at most, and nothing is logged here.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

from therapy_booking.adapters import calendar_parse
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import (
    CalendarAddressRefused,
    CalendarUnavailable,
    FeedNotModified,
    FeedValidators,
    FetchedFeed,
)

USER_AGENT = "therapy-booking-calendar-import/1.0"
_REDIRECTS = {301, 302, 303, 307, 308}
_LOCAL_HOST = "127.0.0.1"
_CHUNK = 64 * 1024
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class _Target:
    """One checked request: where to connect (the pinned address) and what to ask for."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    def __repr__(self) -> str:  # the path and query are the secret
        return f"_Target(scheme={self.scheme!r}, host={self.host!r}, port={self.port})"


class SafeCalendarFetcher:
    """`CalendarSource`: fetches with the limits above; `busy` reads a body with `calendar_parse`."""

    def __init__(
        self,
        allow_local_http: bool = False,
        max_bytes: int = 2_000_000,
        timeout_seconds: float = 10.0,
        max_redirects: int = 3,
    ) -> None:
        self.allow_local_http = allow_local_http
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.max_redirects = max_redirects

    def fetch(self, url: str, validators: FeedValidators | None) -> FetchedFeed | FeedNotModified:
        """The feed's body and new validators, or `FeedNotModified` on a 304."""
        deadline = time.monotonic() + self.timeout_seconds
        current = url.strip()
        for hop in range(self.max_redirects + 1):
            target = self._checked(current, redirected=hop > 0)
            status, location, body, answered = self._request(target, validators, deadline)
            if status in _REDIRECTS and location:
                current = urljoin(current, location)
                continue
            if status == HTTPStatus.NOT_MODIFIED:
                return FeedNotModified()
            if status == HTTPStatus.OK:
                return FetchedFeed(body, answered)
            raise CalendarUnavailable(f"The calendar's address answered {_status_words(status)}.")
        raise CalendarUnavailable(f"The calendar's address redirected more than {self.max_redirects} times.")

    def busy(self, body: bytes, start: datetime, end: datetime, zone: str) -> list[TimeRange]:
        return calendar_parse.busy(body, start, end, zone)

    def _checked(self, url: str, redirected: bool) -> _Target:
        """The request `url` asks for, to an address of its host that is allowed; else refused."""
        what = "redirected to an address that" if redirected else "address"
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
            port = parts.port
        except ValueError:
            raise CalendarAddressRefused(f"The calendar's {what} is not a valid URL.") from None
        scheme = parts.scheme.lower()
        local = self.allow_local_http and scheme == "http" and host == _LOCAL_HOST
        if scheme != "https" and not local:
            hint = " (use https:// in place of webcal://)" if scheme == "webcal" else ""
            raise CalendarAddressRefused(f"The calendar's {what} must start with https://{hint}.")
        if parts.username is not None or parts.password is not None:
            raise CalendarAddressRefused(f"The calendar's {what} must not contain a user name or password.")
        if not host:
            raise CalendarAddressRefused(f"The calendar's {what} has no host.")
        port = port or (443 if scheme == "https" else 80)
        if not local and port != 443:  # calendars are served on https's port; any other would let the fetcher probe
            raise CalendarAddressRefused(f"The calendar's {what} must use the standard https port (443).")
        address = _public_address(host, port, local, redirected)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return _Target(scheme, host, port, address, path)

    def _request(
        self, target: _Target, validators: FeedValidators | None, deadline: float
    ) -> tuple[int, str | None, bytes, FeedValidators]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._too_slow()
        connection = _PinnedConnection(target, remaining)
        watchdog = threading.Timer(remaining, connection.shut)
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("GET", target.path, headers=_headers(validators))
            response = connection.getresponse()
            body = b""
            if response.status == HTTPStatus.OK:
                body = self._read_body(response, deadline)
            answered = FeedValidators(response.getheader("ETag"), response.getheader("Last-Modified"))
            return response.status, response.getheader("Location"), body, answered
        except CalendarUnavailable:
            raise
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline:
                raise self._too_slow() from None
            raise _unavailable(error, target.host) from None
        finally:
            watchdog.cancel()
            connection.close()

    def _read_body(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() >= deadline:
                raise self._too_slow()
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)

    def _too_large(self) -> CalendarUnavailable:
        return CalendarUnavailable(f"The calendar is too large (more than {self.max_bytes / 1_000_000:g} MB).")

    def _too_slow(self) -> CalendarUnavailable:
        return CalendarUnavailable(f"The calendar's address did not answer within {self.timeout_seconds:g} seconds.")


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to the checked address, with SNI and certificate checks for the host name."""

    def __init__(self, target: _Target, timeout: float) -> None:
        self._tls = ssl.create_default_context() if target.scheme == "https" else None
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host) if self._tls is not None else raw

    def shut(self) -> None:
        """Cut the connection (the deadline passed): a blocked read returns at once."""
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


def _public_address(host: str, port: int, local: bool, redirected: bool) -> str:
    """An address of `host` to connect to, if every address it resolves to is public (or local is allowed)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise CalendarUnavailable(f"The calendar's host {host} could not be found.") from None
    addresses = [str(answer[4][0]).split("%", 1)[0] for answer in answers]
    if not addresses:
        raise CalendarUnavailable(f"The calendar's host {host} could not be found.")
    for address in addresses:
        if local and address == _LOCAL_HOST:
            continue
        if not is_public(ipaddress.ip_address(address)):
            if redirected:
                raise CalendarAddressRefused(
                    f"The calendar's address redirected to {host}, which is not a public host."
                )
            raise CalendarAddressRefused(f"The calendar's address must point to a public host; {host} is not one.")
    return addresses[0]


def is_public(address: IPAddress) -> bool:
    """Whether `address` is globally routable, with IPv6 forms that wrap an IPv4 address unwrapped."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
            return is_public(address.ipv4_mapped)
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return not (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def _headers(validators: FeedValidators | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.1", "Accept-Encoding": "identity"}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _status_words(status: int) -> str:
    try:
        return f"{status} ({HTTPStatus(status).phrase.lower()})"
    except ValueError:
        return str(status)


def _unavailable(error: Exception, host: str) -> CalendarUnavailable:
    """A sentence for what went wrong on the wire, naming the host at most (never the error's own text)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return CalendarUnavailable(f"The calendar's host {host} did not present a valid certificate.")
    if isinstance(error, ssl.SSLError):
        return CalendarUnavailable(f"A secure connection to the calendar's host {host} could not be made.")
    if isinstance(error, http.client.HTTPException):
        return CalendarUnavailable(f"The calendar's host {host} did not answer with valid HTTP.")
    return CalendarUnavailable(f"The calendar's host {host} could not be reached.")
