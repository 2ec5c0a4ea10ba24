"""The therapist's calendar feed address: GET /therapists/me/calendar-feed and POST .../rotate."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body


class CalendarFeedAddress(Body):
    url: str = Field(
        description="The private iCal address of your sessions: subscribe to it from your calendar app. Anyone "
        "holding it can read your session times, so keep it private; rotate it if it leaks.",
        examples=["https://api.example.com/calendar-feeds/3q2-7wEjUc0Cs1Vq4b0mF0xXg9W2yS8rN5kD1tLh6aE.ics"],
    )
