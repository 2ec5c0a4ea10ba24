"""A therapist's imported calendar: PUT/GET/DELETE /therapists/me/calendar-import and its sync."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, FreeText, UtcInstant
from therapy_booking.domain.calendar_sync import CalendarImport, ImportStatus

CalendarAddress = Annotated[str, FreeText(2048, non_blank=True)]


class CalendarImportRequest(Body):
    url: CalendarAddress = Field(
        description="The private iCal address of the calendar (Google Calendar: Settings, the calendar, "
        "'Secret address in iCal format'). https to a public host only; kept secret: never shown again whole.",
        examples=["https://calendar.google.com/calendar/ical/name%40example.com/private-0123abcd/basic.ics"],
    )


class CalendarImportStatus(Body):
    host: str = Field(description="The calendar's host: the address itself is secret and never shown.")
    status: ImportStatus = Field(description="ok, or failing (the last sync could not fetch or read it).")
    last_synced_at: UtcInstant | None = Field(description="The last time the calendar was read successfully.")
    last_error: str | None = Field(description="Why the last sync failed, in a sentence; null when ok.")
    busy_count: int = Field(
        description="Busy periods within the booking horizon (overlapping or back-to-back events count as one)."
    )

    @classmethod
    def of(cls, calendar: CalendarImport) -> CalendarImportStatus:
        synced: datetime | None = calendar.last_synced_at
        return cls(
            host=calendar.host,
            status=calendar.status,
            last_synced_at=synced,
            last_error=calendar.last_error,
            busy_count=calendar.busy_count,
        )
