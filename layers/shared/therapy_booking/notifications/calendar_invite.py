"""The client's calendar entry for a session, as an iCalendar (RFC 5545) attachment.

iTIP (RFC 5546): METHOD:REQUEST while the session is confirmed, METHOD:CANCEL once it is
cancelled. The UID is the same for every version of a session and SEQUENCE is its version,
so calendar apps update (or remove) the entry they already have instead of adding another.
"""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar, Event, vCalAddress

from therapy_booking.domain.calendar_feed import location_label, session_uid, uid_domain
from therapy_booking.domain.model import Location
from therapy_booking.domain.notifications import Attachment, CalendarMethod, Notice
from therapy_booking.settings import NotificationSettings

PRODID = "-//Therapy Booking//Session calendar//EN"
CONTENT_TYPE = "text/calendar"  # the email adapter adds `method=` from the attachment's METHOD


def invitation(notice: Notice, settings: NotificationSettings) -> Attachment | None:
    """The calendar entry the notice's email carries, or None if it carries none."""
    method = notice.calendar
    if method is None:
        return None
    session = notice.occasion.session
    link = settings.session_link(session.session_id)
    cancelled = method is CalendarMethod.CANCEL

    event = Event()
    event.add("uid", session_uid(session.session_id, uid_domain(settings.sender)))  # the feed's UID too
    event.add("sequence", session.version)
    event.add("dtstamp", notice.occasion.occurred_at.astimezone(UTC))
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", f"Therapy session with {notice.therapist.name}")
    event.add("location", where(session.location))
    event.add("description", f"Session details: {link}")
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{settings.sender}")
    organizer.params["cn"] = notice.therapist.name
    event.add("organizer", organizer)
    if notice.client is not None:
        attendee = vCalAddress(f"mailto:{notice.client.email}")
        attendee.params["cn"] = notice.client.name
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "ACCEPTED"  # the client booked it: no reply is asked for
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    calendar.add_component(event)
    return Attachment(
        filename="cancel.ics" if cancelled else "invite.ics",
        content_type=CONTENT_TYPE,
        content=calendar.to_ical(),
    )


def where(location: Location) -> str:
    return location_label(location)
