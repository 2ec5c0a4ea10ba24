"""The calendar feed as HTTP serves it: the iCalendar body (RFC 5545, with RFC 7986's REFRESH-INTERVAL), its
strong ETag, and the conditional answer (304) to a calendar app that already has it.

Each entry says when, what kind of session and where, with a link to the dashboard: never the client's name
or id, the attendees, notes, contact details or anything from an assessment. The body depends only on the
sessions and reservations (DTSTAMP is the session's or reservation's last change, not the time of the request),
so an unchanged feed keeps its ETag and any change to them gives another.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta
from typing import Protocol

from icalendar import Calendar, Event

from therapy_booking.domain.calendar_feed import EntryStatus, Feed, FeedEntry, location_label

PRODID = "-//Therapy Booking//Session feed//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
REFRESH = timedelta(minutes=15)
CALENDAR_NAME = "Therapy sessions"


class FeedLinks(Protocol):
    """The dashboard addresses an entry links to (`settings.CalendarFeedSettings`)."""

    def session_link(self, session_id: str) -> str: ...

    def reservation_link(self, reservation_id: str) -> str: ...


def summary(entry: FeedEntry) -> str:
    text = f"Session ({entry.session_type.value})"
    if entry.reservation_id is not None:
        return f"Released: {text}" if entry.status is EntryStatus.CANCELLED else f"Reserved: {text}"
    if entry.alternative:
        return f"{text}: time offered, awaiting the client"
    if entry.status is EntryStatus.TENTATIVE:
        return f"{text}: awaiting your answer"
    if entry.status is EntryStatus.CANCELLED:
        return f"Cancelled: {text}"
    return text


def _link(entry: FeedEntry, links: FeedLinks) -> tuple[str, str]:
    """What the entry's DESCRIPTION calls its dashboard page, and the page's address."""
    if entry.reservation_id is not None:
        return "Reservation details", links.reservation_link(entry.reservation_id)
    assert entry.session_id is not None  # an entry is a session's or a reserved occurrence's
    return "Session details", links.session_link(entry.session_id)


def _event(entry: FeedEntry, links: FeedLinks) -> Event:
    label, link = _link(entry, links)
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", entry.changed_at.astimezone(UTC))
    event.add("last-modified", entry.changed_at.astimezone(UTC))
    event.add("dtstart", entry.start.astimezone(UTC))
    event.add("dtend", entry.end.astimezone(UTC))
    event.add("summary", summary(entry))
    event.add("location", location_label(entry.location))
    event.add("description", f"{label}: {link}")
    event.add("url", link)
    event.add("status", entry.status.value)
    event.add("transp", "TRANSPARENT" if entry.status is EntryStatus.CANCELLED else "OPAQUE")
    return event


def render(feed: Feed, links: FeedLinks) -> str:
    """The feed's iCalendar text; `links` gives each entry's dashboard address."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for entry in sorted(feed.entries, key=lambda e: (e.start, e.uid)):
        calendar.add_component(_event(entry, links))
    text: str = calendar.to_ical().decode("utf-8")
    return text


def etag(body: str) -> str:
    """A strong validator: the body's SHA-256 (128 bits of it), quoted."""
    return '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, current: str) -> bool:
    """If-None-Match (RFC 9110, 13.1.2): `*`, or any listed tag equal to `current` by the weak comparison."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or current in (tag.removeprefix("W/") for tag in tags)
