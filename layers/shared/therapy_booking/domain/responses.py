"""The response-time rule (PRODUCT.md, "Details of the platform rules"): a therapist answers a booking
within an allowance of business hours, is reminded before it runs out, and each first answer is measured.

Pure. Business time is the therapist's: their time zone, their country's public holidays (their
profile's `country`, else the platform's default) and the platform's working hours
(`domain.business_hours`).

- At booking, the session gets `response_due_at` (the allowance after the booking, in business time)
  and `response_reminder_at` (the reminder's lead before that, in business time too).
- The first answer (confirm, decline, reschedule, location change, offer: any therapist transition out
  of a booking never answered) sets `answered_at` and adds a `ResponseSample` to the transition's
  write: its business minutes and whether they were within the allowance. Later answers, and changes
  by the client, the team or the platform, measure nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from therapy_booking.domain.business_hours import add_business_minutes, business_minutes
from therapy_booking.domain.changes import ResponseSample, SessionChange
from therapy_booking.domain.model import Role, Session, TherapistProfile
from therapy_booking.domain.policies import PlatformPolicy


@dataclass(frozen=True)
class ResponseDeadlines:
    due_at: datetime
    reminder_at: datetime


def country_of(profile: TherapistProfile, policy: PlatformPolicy) -> str:
    return profile.country or policy.default_country


def response_deadlines(booked_at: datetime, profile: TherapistProfile, policy: PlatformPolicy) -> ResponseDeadlines:
    """When a booking made at `booked_at` must be answered, and when its therapist is reminded."""
    remind_after = (policy.response_sla_business_hours - policy.response_reminder_business_hours_before) * 60
    due_at, reminder_at = (
        add_business_minutes(
            booked_at, minutes, zone=profile.timezone, country=country_of(profile, policy), hours=policy.working_hours
        )
        for minutes in (policy.response_sla_minutes, remind_after)
    )
    return ResponseDeadlines(due_at=due_at, reminder_at=reminder_at)


def with_response_deadlines(session: Session, profile: TherapistProfile, policy: PlatformPolicy) -> Session:
    deadlines = response_deadlines(session.created_at, profile, policy)
    return replace(session, response_due_at=deadlines.due_at, response_reminder_at=deadlines.reminder_at)


def measure(
    booked_at: datetime, answered_at: datetime, profile: TherapistProfile, policy: PlatformPolicy
) -> ResponseSample:
    minutes = business_minutes(
        min(booked_at, answered_at),
        answered_at,
        zone=profile.timezone,
        country=country_of(profile, policy),
        hours=policy.working_hours,
    )
    return ResponseSample(minutes, minutes <= policy.response_sla_minutes)


def with_first_answer(
    change: SessionChange, before: Session, profile: TherapistProfile | None, policy: PlatformPolicy
) -> SessionChange:
    """`change` as the therapist's first answer to the booking `before`, measured; unchanged if it is not one.

    `profile` is the therapist's as read with the session (None if it could not be read: nothing is measured).
    """
    if (
        not before.awaits_first_answer
        or before.response_due_at is None  # booked before response times were measured: no deadline, no sample
        or change.event.actor_role is not Role.THERAPIST
        or profile is None
    ):
        return change
    answered_at = change.event.occurred_at
    return replace(
        change,
        session=replace(change.session, answered_at=answered_at),
        response=measure(before.created_at, answered_at, profile, policy),
    )
