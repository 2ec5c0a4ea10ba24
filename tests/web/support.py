"""What the browser tests share (tests/web/test_dashboard_*.py): the demo scene set up over the API, and the
dashboard's pages found as a user finds them. The fixtures built on these (`scene`, `sign_in`) are in conftest.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from local_stack import demo
from tests.local_stack.running_stack import Http

ZONE = "Europe/London"
NOTICE_HOURS = int(str(demo.AVAILABILITY["min_notice_hours"]))
SIGN_IN_LABELS = {
    "therapist": "Sign in as Dr Demo Therapist (therapist)",
    "client": "Sign in as Demo Client (client)",
    "admin": "Sign in as Demo Admin (admin)",
}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Demo:
    """The demo therapist and client on a freshly reset stack, and the API calls that set a scene up quickly."""

    def __init__(self, http: Http) -> None:
        self.http = http
        assert http.post("/dev/reset").status in (200, 204)
        self.therapist = http.token(demo.THERAPIST.sub, demo.THERAPIST.role)
        self.client = http.token(demo.CLIENT.sub, demo.CLIENT.role)
        assert http.put("/therapists/me", demo.THERAPIST_PROFILE, token=self.therapist).status == 200
        assert http.put("/therapists/me/availability", demo.AVAILABILITY, token=self.therapist).status == 200
        assert http.put("/clients/me", demo.CLIENT_PROFILE, token=self.client).status == 200

    def now(self) -> datetime:
        return instant(self.http.get("/dev/clock").json()["now"])

    def free_starts(self) -> list[str]:
        reply = self.http.get(f"/therapists/{demo.THERAPIST.sub}/slots?session_type=individual", token=self.client)
        assert reply.status == 200, reply.body
        return [slot["start"] for slot in reply.json()["items"]]

    def clear_starts(self) -> list[str]:
        """The free starts comfortably clear of the notice edge (the clock runs on while the test clicks)."""
        edge = self.now() + timedelta(hours=NOTICE_HOURS, minutes=30)
        return [start for start in self.free_starts() if instant(start) >= edge]

    def two_on_a_busy_day(self, besides: str) -> list[str]:
        """Two clear free starts (not `besides`) on a day that keeps a third free, so the day stays in every picker
        after both are held, whatever the time of day the test runs."""
        days: dict[str, list[str]] = {}
        for start in self.clear_starts():
            if start != besides:
                days.setdefault(instant(start).astimezone(ZoneInfo(ZONE)).date().isoformat(), []).append(start)
        starts = next(found for found in days.values() if len(found) >= 3)
        return starts[:2]

    def bookable_start(self) -> str:
        """A free start comfortably clear of the notice edge (the clock runs on while the test clicks)."""
        return self.clear_starts()[0]

    def book(self, start: str, location_id: str = "video") -> dict[str, Any]:
        body = {
            "therapist_id": demo.THERAPIST.sub,
            "start": start,
            "session_type": "individual",
            "location_id": location_id,
            "attendees": ["Demo Client"],
        }
        reply = self.http.post("/sessions", body, token=self.client)
        assert reply.status == 201, reply.body
        session: dict[str, Any] = reply.json()
        return session

    def session(self, session_id: str) -> dict[str, Any]:
        reply = self.http.get(f"/sessions/{session_id}", token=self.client)
        assert reply.status == 200, reply.body
        session: dict[str, Any] = reply.json()
        return session

    def therapist_does(self, session_id: str, action: str, body: Any = None) -> dict[str, Any]:
        reply = self.http.post(f"/sessions/{session_id}/{action}", body, token=self.therapist)
        assert reply.status in (200, 201), reply.body
        session: dict[str, Any] = reply.json()
        return session

    def advance(self, seconds: int) -> None:
        assert self.http.post("/dev/clock", {"advance_seconds": seconds}).status == 200


def day_label(page: Page, start: str) -> str:
    """The slot picker's day, as the viewer's browser names it (in the page's own zone)."""
    label: str = page.evaluate(
        """(iso) => new Intl.DateTimeFormat("en-GB",
            {weekday: "long", day: "numeric", month: "long", year: "numeric"}).format(new Date(iso))""",
        start,
    )
    return label


def open_day(page: Page, start: str) -> None:
    page.get_by_label("Day", exact=True).select_option(label=day_label(page, start))


def slot_input(page: Page, start: str) -> Locator:
    return page.locator(f'.slot-picker input[value="{start}"]')


def first_clear_time(page: Page, scene: Demo) -> Locator:
    """The first free time the picker shows, day by day, that is clear of the notice edge (as `Demo.bookable_start`:
    the clock runs on while the test clicks)."""
    radios = page.locator(".slot-picker input[type=radio]")
    expect(radios.first).to_be_visible()
    edge = scene.now() + timedelta(hours=NOTICE_HOURS, minutes=30)
    days = page.get_by_label("Day", exact=True)
    for index in range(days.locator("option").count()):
        days.select_option(index=index)
        for radio in radios.all():
            value = radio.get_attribute("value")
            if value is not None and instant(value) >= edge:
                return radio
    raise AssertionError("no free time clear of the notice edge")


def open_session(page: Page, base_url: str, session_id: str) -> None:
    page.goto(f"{base_url}/app/#/sessions/{session_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session on")


def status_of(page: Page) -> Locator:
    return page.get_by_test_id("session-status")
