"""A therapist told about their standing: flagged at the third cancellation in a row, deactivated at the fifth.

`NotificationService.tell_standing` with the in-memory fakes of `tests/unit/test_notifications.py` (recording
senders, an in-memory ledger), and the real templates for what the emails say.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import PROFILE
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from tests.unit.notifications.samples import SETTINGS, THERAPIST
from tests.unit.test_notifications import EMAIL, THERAPIST_PHONE, Channels, InMemoryLedger, RecordingRenderer, Told
from therapy_booking.domain.model import Role
from therapy_booking.domain.notifications import (
    AccountNotice,
    DeliveryFailed,
    NotificationService,
    ProfileContacts,
    account_delivery_key,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.standing import StandingNotice
from therapy_booking.notifications.rendering import TemplateRenderer

FLAGGED, DEACTIVATED = StandingNotice.FLAGGED, StandingNotice.DEACTIVATED
OCCASION = "49600000000000000000000000000000000000000000000000000001"  # a stream record's sequence number
T = Role.THERAPIST
renderer = TemplateRenderer(SETTINGS)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def channels() -> Channels:
    return Channels()


@pytest.fixture
def notifications(store: InMemoryStore, clock: FakeClock, channels: Channels) -> NotificationService:
    return NotificationService(
        contacts=ProfileContacts(InMemoryTherapists(store)),
        renderer=RecordingRenderer(channels),
        email=channels.email_sender(),
        sms=channels.sms_sender(),
        ledger=InMemoryLedger(),
        sessions=InMemorySessions(store),
        clock=clock,
        policy=PlatformPolicy(),
    )


@pytest.fixture
def store_with_sms(store: InMemoryStore) -> InMemoryStore:
    """The therapist t1 opted in to texts, with a valid number: standing notices must still not text them."""
    therapist = store.therapists["t1"]
    store.therapists["t1"] = replace(therapist, profile=replace(PROFILE, phone=THERAPIST_PHONE, sms_opt_in=True))
    return store


@pytest.mark.parametrize(("notice", "template"), [(FLAGGED, "standing_flagged"), (DEACTIVATED, "account_deactivated")])
def test_each_notice_sends_the_therapist_one_email_and_no_text(
    store_with_sms: InMemoryStore, notifications: NotificationService, channels: Channels, notice, template
) -> None:
    # Given a therapist opted in to texts
    # When their streak's crossing is told
    report = notifications.tell_standing(notice, "t1", OCCASION)

    # Then they get exactly one email, from the notice's template, and no text
    assert channels.sent == [Told(T, EMAIL, template)]
    assert report.sent == [f"t1/{notice}/{OCCASION}/therapist/email"]
    assert report.skipped == {}


def test_the_same_crossing_delivered_twice_sends_nothing_twice(
    store_with_sms: InMemoryStore, notifications: NotificationService, channels: Channels
) -> None:
    # Given the flag was told for one crossing
    notifications.tell_standing(FLAGGED, "t1", OCCASION)

    # When the same crossing is delivered again (a retried stream record)
    notifications.tell_standing(FLAGGED, "t1", OCCASION)

    # Then nothing more was sent; and a later crossing (flagged again after a reset) is told again
    assert channels.sent == [Told(T, EMAIL, "standing_flagged")]
    notifications.tell_standing(FLAGGED, "t1", "49600000000000000000000000000000000000000000000000000099")
    assert channels.sent == [Told(T, EMAIL, "standing_flagged")] * 2


def test_a_failed_send_raises_and_the_retry_sends_it(
    store_with_sms: InMemoryStore, notifications: NotificationService, channels: Channels
) -> None:
    # Given the email provider failing for the therapist
    channels.failing.add(PROFILE.email)

    # When the deactivation is told / Then it raises with its delivery key, and nothing went out
    with pytest.raises(DeliveryFailed) as failure:
        notifications.tell_standing(DEACTIVATED, "t1", OCCASION)
    assert failure.value.keys == [account_delivery_key(DEACTIVATED, "t1", OCCASION)]
    assert channels.sent == []

    # When the record is retried once the provider is back / Then the email goes, once
    channels.failing.clear()
    notifications.tell_standing(DEACTIVATED, "t1", OCCASION)
    notifications.tell_standing(DEACTIVATED, "t1", OCCASION)
    assert channels.sent == [Told(T, EMAIL, "account_deactivated")]


def test_a_therapist_without_a_profile_is_skipped(
    store: InMemoryStore, notifications: NotificationService, channels: Channels
) -> None:
    # Given a therapist record without a profile (no contact details)
    store.therapists["t1"] = replace(store.therapists["t1"], profile=None)

    # When their deactivation is told / Then nothing is sent, and the report says why (ids only)
    report = notifications.tell_standing(DEACTIVATED, "t1", OCCASION)
    assert channels.sent == []
    assert report.skipped == {account_delivery_key(DEACTIVATED, "t1", OCCASION): "no_contact_details"}


DEFAULTS = PlatformPolicy()


def account_notice(notice: StandingNotice, policy: PlatformPolicy = DEFAULTS) -> AccountNotice:
    return AccountNotice(notice, "t1", OCCASION, THERAPIST, policy.streak_flag_at, policy.streak_deactivate_at)


def test_the_flag_email_says_why_what_it_does_and_how_it_ends() -> None:
    # Given the default thresholds (flag at 3, deactivation at 5)
    # When the flag's email is rendered
    email = renderer.account_email(account_notice(FLAGGED))
    text, html = one_line(email.text), one_line(email.html)

    # Then it goes to the therapist and says plainly: 3 cancellations in a row, ranked lower, until a session
    # goes ahead; and what 5 would do
    assert email.to == THERAPIST.email
    assert email.subject == "Your account is flagged after 3 cancellations in a row"
    for said in (
        "Hello Dr Amara Okafor,",
        "You have cancelled 3 sessions in a row, so your account is now flagged.",
        "you are ranked lower",
        "as soon as one of your sessions goes ahead",
        "If you cancel 5 sessions in a row, your account is deactivated automatically",
        "https://app.example.com",
    ):
        assert said in text and said in html
    assert "deactivated after" not in text
    assert html.startswith("<!DOCTYPE html>") and email.attachments == ()


def test_the_deactivation_email_says_what_it_means_and_how_to_come_back() -> None:
    # When the deactivation's email is rendered
    email = renderer.account_email(account_notice(DEACTIVATED))
    text, html = one_line(email.text), one_line(email.html)

    # Then it says plainly: 5 in a row, hidden, no new bookings, booked sessions stay, contact the team
    assert email.subject == "Your account is deactivated after 5 cancellations in a row"
    for said in (
        "You have cancelled 5 sessions in a row, so your account has been deactivated automatically.",
        "Your profile is hidden from search.",
        "Clients cannot make new bookings with you.",
        "The sessions already booked with you stay booked.",
        "To reactivate your account, please contact our team.",
    ):
        assert said in text and said in html


def test_the_wording_follows_the_platforms_thresholds() -> None:
    # Given a platform that flags at 2 and deactivates at 4
    policy = PlatformPolicy(streak_flag_at=2, streak_deactivate_at=4)

    # When both emails are rendered / Then they say those numbers
    flagged = renderer.account_email(account_notice(FLAGGED, policy))
    deactivated = renderer.account_email(account_notice(DEACTIVATED, policy))
    assert "cancelled 2 sessions in a row" in flagged.text and "cancel 4 sessions in a row" in one_line(flagged.text)
    assert deactivated.subject == "Your account is deactivated after 4 cancellations in a row"
