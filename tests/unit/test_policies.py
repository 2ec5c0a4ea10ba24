from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from therapy_booking.domain.model import Location, LocationKind, Money, Role, Session, SessionStatus, SessionType
from therapy_booking.domain.policies import PlatformPolicy, full_refund_until, settle_cancellation

START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def session(status: SessionStatus = SessionStatus.CONFIRMED, amount: int = 6000) -> Session:
    return Session(
        session_id="s",
        therapist_id="t",
        client_id="c",
        status=status,
        session_type=SessionType.INDIVIDUAL,
        attendees=("A",),
        location=Location("video", LocationKind.ONLINE, link="https://x"),
        start=START,
        end=START + timedelta(minutes=50),
        price=Money(amount, "GBP"),
        initial_consultation=False,
        created_at=START,
        updated_at=START,
        version=1,
    )


def test_a_client_cancelling_at_least_the_window_ahead_is_refunded_in_full() -> None:
    settlement = settle_cancellation(session(), Role.CLIENT, START - timedelta(hours=24), PlatformPolicy())
    assert settlement.refund == Money(6000, "GBP")
    assert settlement.therapist_payout == Money(0, "GBP")


def test_a_late_client_cancellation_of_a_confirmed_session_pays_the_therapist_less_commission() -> None:
    settlement = settle_cancellation(session(), Role.CLIENT, START - timedelta(hours=23, minutes=59), PlatformPolicy())
    assert settlement.refund == Money(0, "GBP")
    assert settlement.therapist_payout == Money(5400, "GBP")
    assert settlement.platform_commission == Money(600, "GBP")


def test_a_pending_session_is_always_refunded_in_full() -> None:
    settlement = settle_cancellation(
        session(SessionStatus.PENDING), Role.CLIENT, START - timedelta(hours=1), PlatformPolicy()
    )
    assert settlement.refund == Money(6000, "GBP")


def test_a_therapist_cancellation_is_refunded_in_full_even_late() -> None:
    settlement = settle_cancellation(session(), Role.THERAPIST, START - timedelta(hours=1), PlatformPolicy())
    assert settlement.refund == Money(6000, "GBP")
    assert settlement.therapist_payout == Money(0, "GBP")


@pytest.mark.parametrize(("amount", "commission"), [(6050, 605), (6055, 606), (1, 0), (5, 1)])
def test_commission_rounds_half_up_to_the_minor_unit_and_money_balances(amount: int, commission: int) -> None:
    settlement = settle_cancellation(session(amount=amount), Role.CLIENT, START - timedelta(hours=2), PlatformPolicy())
    assert settlement.platform_commission.amount == commission
    assert settlement.refund.amount + settlement.therapist_payout.amount + commission == amount


def test_window_and_commission_follow_the_platform_settings() -> None:
    policy = PlatformPolicy(cancellation_window_hours=48, commission_percent=Decimal("12.5"))
    settlement = settle_cancellation(session(), Role.CLIENT, START - timedelta(hours=30), policy)
    assert settlement.platform_commission == Money(750, "GBP")


def test_the_full_refund_lasts_until_the_window_before_a_confirmed_sessions_start_for_its_client_only() -> None:
    policy = PlatformPolicy(cancellation_window_hours=48)
    assert full_refund_until(session(), Role.CLIENT, policy) == START - timedelta(hours=48)
    assert full_refund_until(session(), Role.THERAPIST, policy) is None
    assert full_refund_until(session(SessionStatus.PENDING), Role.CLIENT, policy) is None
    # and the settlement agrees at that instant and just after it
    deadline = START - timedelta(hours=48)
    assert settle_cancellation(session(), Role.CLIENT, deadline, policy).refund == Money(6000, "GBP")
    assert settle_cancellation(session(), Role.CLIENT, deadline + timedelta(seconds=1), policy).refund.amount == 0
