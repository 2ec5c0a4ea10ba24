"""A therapist's standing and rank (issue 11): response times measured in the answer's own write, the rank
score's neutral prior, the flag's effect, the projection's update and the streak's notices."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import CLIENT, PROFILE, THERAPIST, request
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.model import RECENT_RESPONSES, RearrangeReason, ResponseRecord, Therapist
from therapy_booking.domain.policies import PlatformPolicy, RankingPolicy
from therapy_booking.domain.ports import TherapistRecordChange
from therapy_booking.domain.responses import measure, response_deadlines
from therapy_booking.domain.services import SessionService, StandingProjection
from therapy_booking.domain.standing import (
    Standing,
    StandingNotice,
    rank,
    rank_update,
    standing_notice,
)

POLICY = PlatformPolicy()
FRIDAY_17 = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # London is on UTC in November
MONDAY_0930 = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def answered(samples: int, minutes: int, **changes: object) -> Therapist:
    """A therapist with `samples` first answers, each after `minutes` business minutes."""
    recent = (minutes,) * min(samples, RECENT_RESPONSES)
    within = samples if minutes <= POLICY.response_sla_minutes else 0
    return replace(Therapist("t", PROFILE), responses=ResponseRecord(samples, within, recent), **changes)  # type: ignore[arg-type]


class TestResponseRule:
    def test_a_friday_evening_booking_answered_on_monday_morning_took_one_business_hour(self) -> None:
        # Given a booking made on Friday at 17:00 and confirmed on Monday at 09:30 (PRODUCT.md's example)
        # When it is measured
        sample = measure(FRIDAY_17, MONDAY_0930, PROFILE, POLICY)
        # Then it took 60 business minutes, within the 4-hour allowance
        assert (sample.business_minutes, sample.within_sla) == (60, True)

    def test_the_deadline_and_the_reminder_are_counted_in_business_hours(self) -> None:
        # Given a booking on Friday at 17:00 (half an hour of Friday left)
        # When its deadlines are set
        deadlines = response_deadlines(FRIDAY_17, PROFILE, POLICY)
        # Then the answer is due on Monday at 12:30 and the reminder goes out an hour before
        assert deadlines.due_at == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
        assert deadlines.reminder_at == datetime(2026, 11, 30, 11, 30, tzinfo=UTC)

    def test_a_country_of_the_profile_moves_the_deadline_past_its_holiday(self) -> None:
        # Given a Scottish therapist and St Andrew's Day (Monday 30 November 2026, a Scottish bank holiday)
        scottish = replace(PROFILE, country="GB-SCT")
        # When a Friday-evening booking's deadline is set
        deadlines = response_deadlines(FRIDAY_17, scottish, POLICY)
        # Then it falls on Tuesday, while the English therapist's falls on Monday
        assert deadlines.due_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    """Friday 27 November 2026, 17:00 in London."""
    return FakeClock(FRIDAY_17)


@pytest.fixture
def service(store: InMemoryStore, clock: FakeClock) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(
        InMemorySessions(store), InMemoryTherapists(store), clock, POLICY, ids=lambda: f"s{next(counter)}"
    )


class TestFirstAnswers:
    def test_a_booking_carries_its_deadline_and_the_first_answer_is_counted_once(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a booking made on Friday at 17:00
        booked = service.book(CLIENT, request(datetime(2026, 12, 8, 10, 0, tzinfo=UTC)))
        assert booked.response_due_at == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
        # When the therapist confirms it on Monday at 09:30, then cancels nothing and confirms nothing more
        clock.set(MONDAY_0930)
        confirmed = service.confirm(THERAPIST, booked.session_id)
        # Then the answer is recorded on the session and measured on their record: 60 minutes, within the allowance
        assert confirmed.answered_at == MONDAY_0930
        assert store.therapists["t1"].responses == ResponseRecord(samples=1, within_sla=1, recent_minutes=(60,))

    def test_an_offer_as_first_answer_counts_as_an_answer_and_an_own_rearrangement(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a pending booking
        booked = service.book(CLIENT, request(datetime(2026, 12, 8, 10, 0, tzinfo=UTC)))
        clock.set(MONDAY_0930 + timedelta(hours=5))  # Monday 14:30: Friday's 30 minutes and 5h30
        # When the therapist answers with alternatives
        service.offer_alternatives(THERAPIST, booked.session_id, [datetime(2026, 12, 8, 11, 0, tzinfo=UTC)])
        # Then one answer is measured (outside the allowance) and one own-reason rearrangement counted
        therapist = store.therapists["t1"]
        assert therapist.responses == ResponseRecord(samples=1, within_sla=0, recent_minutes=(360,))
        assert therapist.own_rearrangements == 1

    def test_later_answers_and_other_peoples_changes_measure_nothing(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a booking the client cancels before any answer, and one the therapist confirmed
        first = service.book(CLIENT, request(datetime(2026, 12, 8, 10, 0, tzinfo=UTC)))
        second = service.book(CLIENT, request(datetime(2026, 12, 8, 12, 0, tzinfo=UTC)))
        service.cancel(CLIENT, first.session_id, None)
        clock.set(MONDAY_0930)
        service.confirm(THERAPIST, second.session_id)
        # When the therapist reschedules the confirmed one
        service.reschedule(
            THERAPIST, second.session_id, datetime(2026, 12, 8, 14, 0, tzinfo=UTC), RearrangeReason.CLIENT_REQUESTED
        )
        # Then only the confirmation was measured
        assert store.therapists["t1"].responses.samples == 1


class TestRank:
    def test_a_newcomer_has_the_neutral_place(self) -> None:
        # Given a therapist with no history
        factors = rank(Therapist("t", PROFILE), POLICY)
        # Then each factor is its prior: speed 1/2, no streak, one rearrangement in ten
        assert (factors.response_time, factors.cancellations, factors.rearrangements) == (
            Decimal("0.25"),
            Decimal("0.3"),
            Decimal("0.18"),
        )
        assert factors.score == Decimal("0.73")

    def test_two_quick_answers_do_not_outrank_two_hundred_good_ones(self) -> None:
        # Given a newcomer with two instant answers and a therapist with two hundred answers in 1h30
        lucky, steady = answered(2, 0), answered(200, 90)
        # Then the steady one ranks higher, though each of the newcomer's answers was faster
        assert rank(steady, POLICY).score > rank(lucky, POLICY).score

    def test_a_faster_responder_ranks_above_a_slower_one_with_the_same_record(self) -> None:
        assert rank(answered(20, 30), POLICY).score > rank(answered(20, 200), POLICY).score

    def test_a_flagged_therapist_ranks_below_an_equal_unflagged_one(self) -> None:
        # Given two therapists alike but for a streak of 3 (flagged) and 2
        flagged, warned = answered(20, 30, cancellation_streak=3), answered(20, 30, cancellation_streak=2)
        # Then the flagged one ranks lower, and its cancellation factor is 0
        assert rank(flagged, POLICY).score < rank(warned, POLICY).score < rank(answered(20, 30), POLICY).score
        assert rank(flagged, POLICY).cancellations == 0

    def test_own_rearrangements_lower_the_rank(self) -> None:
        assert rank(answered(20, 30, own_rearrangements=8), POLICY).score < rank(answered(20, 30), POLICY).score

    def test_weights_are_settings_and_must_add_up_to_one(self) -> None:
        # Given a platform that ranks on response time alone
        only_speed = replace(POLICY, ranking=RankingPolicy(Decimal(1), Decimal(0), Decimal(0)))
        # Then a flagged fast responder outranks an unflagged slow one
        fast_flagged, slow = answered(50, 10, cancellation_streak=4), answered(50, 400)
        assert rank(fast_flagged, only_speed).score > rank(slow, only_speed).score
        with pytest.raises(ValueError, match="add up to 1"):
            RankingPolicy(Decimal("0.5"), Decimal("0.5"), Decimal("0.5"))

    def test_the_standing_explains_the_score(self) -> None:
        # Given a therapist with answers, rearrangements and a streak
        therapist = answered(4, 120, own_rearrangements=1, cancellation_streak=1)
        # When their standing is taken
        standing = Standing.of(therapist, POLICY)
        # Then its factors add up to its score, and each measure is as recorded
        factors = standing.rank_factors
        assert factors.response_time + factors.cancellations + factors.rearrangements == standing.rank_score
        assert (standing.response_time.median_business_minutes, standing.response_time.samples) == (Decimal(120), 4)
        assert standing.response_time.within_sla_ratio == 1
        assert (standing.rearrangements.own_reason, standing.rearrangements.total_sessions) == (1, 4)
        assert standing.rearrangements.rate == Decimal("0.25")
        assert (standing.flagged, standing.deactivated, standing.response_sla_business_hours) == (False, False, 4)


class TestProjection:
    def test_a_stored_score_that_is_right_is_not_written_again(self) -> None:
        therapist = answered(3, 40)
        update = rank_update(therapist, None, POLICY)
        assert update is not None and update.recent_minutes is None
        assert rank_update(therapist, update.score, POLICY) is None

    def test_recent_answers_beyond_the_window_are_trimmed_to_the_newest(self) -> None:
        # Given a record whose recent answers grew one past the window
        recent = tuple(range(RECENT_RESPONSES + 1))
        therapist = replace(Therapist("t", PROFILE), responses=ResponseRecord(90, 90, recent))
        # When the projection looks at it, with its score already stored
        update = rank_update(therapist, rank(therapist, POLICY).score, POLICY)
        # Then the oldest answer is dropped
        assert update is not None and update.recent_minutes == recent[1:]

    @pytest.mark.parametrize(
        ("before", "after", "notice"),
        [
            (2, 3, StandingNotice.FLAGGED),
            (3, 4, None),
            (1, 2, None),
            (0, 0, None),
        ],
    )
    def test_the_flag_is_told_when_the_streak_reaches_it(self, before: int, after: int, notice: object) -> None:
        old = replace(Therapist("t", PROFILE), cancellation_streak=before)
        new = replace(old, cancellation_streak=after)
        assert standing_notice(old, new, POLICY) == notice

    def test_deactivation_is_told_once_and_instead_of_the_flag(self) -> None:
        old = replace(Therapist("t", PROFILE), cancellation_streak=4)
        new = replace(old, cancellation_streak=5, deactivated=True)
        assert standing_notice(old, new, POLICY) is StandingNotice.DEACTIVATED
        assert standing_notice(new, replace(new, own_rearrangements=1), POLICY) is None


def test_the_worked_examples_of_the_ranking_page_hold() -> None:
    # Given the worked examples docs/ranking.md shows therapists
    page = (Path(__file__).parents[2] / "docs" / "ranking.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| [^|]+ \| (\d+) \| (none|\d+ min) \| (\d+) \| (\d+) \| (0\.\d{3}) \|$", page, re.MULTILINE)
    assert len(rows) == 4
    for answers, median, streak, own, score in rows:
        minutes = 0 if median == "none" else int(median.removesuffix(" min"))
        therapist = answered(int(answers), minutes, cancellation_streak=int(streak), own_rearrangements=int(own))
        # Then each score is what the code computes, to the places shown
        assert rank(therapist, POLICY).score.quantize(Decimal("0.001")) == Decimal(score)


class RecordingNotifier:
    def __init__(self) -> None:
        self.told: list[tuple[StandingNotice, str, str]] = []

    def tell_standing(self, notice: StandingNotice, therapist_id: str, occasion_id: str) -> object:
        self.told.append((notice, therapist_id, occasion_id))
        return None


class TestStandingProjection:
    def test_a_crossing_still_true_is_told_once_per_record(self, store: InMemoryStore) -> None:
        # Given a therapist whose streak went from 2 to 3, as the record says now
        before = store.therapists["t1"]
        flagged = replace(before, cancellation_streak=3)
        store.therapists["t1"] = flagged
        notifier = RecordingNotifier()
        projection = StandingProjection(InMemoryTherapists(store), notifier, POLICY)
        # When the projection sees that change
        report = projection.apply(TherapistRecordChange(replace(before, cancellation_streak=2), flagged, None, "41"))
        # Then the therapist is told they are flagged, under that record's occasion, and the score is stored
        assert notifier.told == [(StandingNotice.FLAGGED, "t1", "therapist.flagged#41")]
        assert report.ranked and store.rank_scores["t1"] == rank(flagged, POLICY).score

    def test_a_record_retried_after_the_team_reactivated_tells_nothing(self, store: InMemoryStore) -> None:
        # Given the record of a deactivation, delivered again after the team reactivated the account
        active = store.therapists["t1"]
        deactivated = replace(active, cancellation_streak=5, deactivated=True)
        notifier = RecordingNotifier()
        projection = StandingProjection(InMemoryTherapists(store), notifier, POLICY)
        # When the projection sees it
        report = projection.apply(TherapistRecordChange(replace(active, cancellation_streak=4), deactivated, None, "7"))
        # Then no email goes out (the record, read again, no longer says so), and the stale score is not stored
        assert notifier.told == [] and report.notice is None
        assert not report.ranked

    def test_rerank_puts_every_listed_score_right_after_the_weights_change(self, store: InMemoryStore) -> None:
        # Given two listed therapists ranked under the default weights
        store.therapists["t2"] = replace(store.therapists["t1"], therapist_id="t2", cancellation_streak=2)
        therapists = InMemoryTherapists(store)
        StandingProjection(therapists, RecordingNotifier(), POLICY).rerank_listed()
        # When the platform ranks on response time alone and re-ranks
        speed_only = replace(POLICY, ranking=RankingPolicy(Decimal(1), Decimal(0), Decimal(0)))
        stored = StandingProjection(therapists, RecordingNotifier(), speed_only).rerank_listed()
        # Then both scores were stored again, and a second run changes nothing
        assert stored == 2
        assert store.rank_scores["t1"] == store.rank_scores["t2"] == rank(store.therapists["t1"], speed_only).score
        assert StandingProjection(therapists, RecordingNotifier(), speed_only).rerank_listed() == 0


def test_a_booking_made_before_response_times_were_measured_is_not_measured(
    service: SessionService, store: InMemoryStore, clock: FakeClock
) -> None:
    # Given a pending booking stored without a response deadline (made before the rule existed)
    booked = service.book(CLIENT, request(datetime(2026, 12, 8, 10, 0, tzinfo=UTC)))
    store.sessions[booked.session_id] = replace(booked, response_due_at=None, response_reminder_at=None)
    # When the therapist confirms it
    clock.set(MONDAY_0930)
    confirmed = service.confirm(THERAPIST, booked.session_id)
    # Then it is confirmed, and no response time is recorded for it
    assert confirmed.answered_at is None
    assert store.therapists["t1"].responses.samples == 0


def test_the_rearrangement_rate_is_per_answered_session_and_agrees_with_its_factor() -> None:
    # Given a therapist whose rearrangements outnumber the sessions they answered (or predate the measure)
    for answers, own, rate in ((1, 3, Decimal(3)), (0, 9, Decimal(9)), (4, 1, Decimal("0.25"))):
        therapist = answered(answers, 30, own_rearrangements=own)
        standing = Standing.of(therapist, POLICY)
        # Then the rate is per answered session, over at least one, and a rate above the prior lowers the factor
        assert standing.rearrangements.rate == rate
        assert (standing.rank_factors.rearrangements < Decimal("0.18")) == (rate > Decimal("0.1"))
