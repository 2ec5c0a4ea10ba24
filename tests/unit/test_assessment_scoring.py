"""The self-assessment's scoring: every band boundary of PHQ-9 and GAD-7, the self-harm flag, and a refusal that
names every bad answer (and never its value)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapy_booking.domain.assessment import GAD7, INSTRUMENTS, PHQ9, QUESTIONNAIRE_VERSION, Instrument, scored
from therapy_booking.domain.errors import ValidationFailed

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Answers = list[tuple[str, int]]


def answers_totalling(instrument: Instrument, total: int) -> list[tuple[str, int]]:
    """Answers to the instrument's questions adding up to `total` (3s first)."""
    answers = []
    for question in instrument.questions:
        answer = min(3, total)
        total -= answer
        answers.append((question.question_id, answer))
    assert total == 0
    return answers


def complete(phq9: int = 0, gad7: int = 0) -> list[tuple[str, int]]:
    return answers_totalling(PHQ9, phq9) + answers_totalling(GAD7, gad7)


PHQ9_BANDS = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately_severe"),
    (19, "moderately_severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_BANDS = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_totals_fall_in_their_published_bands(total: int, band: str) -> None:
    assessment = scored("c1", complete(phq9=total), None, NOW)
    assert (assessment.scores["phq9"].total, assessment.scores["phq9"].band) == (total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_totals_fall_in_their_published_bands(total: int, band: str) -> None:
    assessment = scored("c1", complete(gad7=total), None, NOW)
    assert (assessment.scores["gad7"].total, assessment.scores["gad7"].band) == (total, band)


def test_the_bands_cover_every_possible_total_once() -> None:
    for instrument in INSTRUMENTS:
        covered = [total for band in instrument.bands for total in range(band.low, band.high + 1)]
        assert covered == list(range(instrument.maximum + 1)), instrument.instrument_id


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=16, max_size=16))
def test_a_total_is_the_sum_of_its_answers(values: list[int]) -> None:
    ids = [q.question_id for instrument in INSTRUMENTS for q in instrument.questions]
    assessment = scored("c1", list(zip(ids, values, strict=True)), None, NOW)
    assert assessment.scores["phq9"].total == sum(values[:9])
    assert assessment.scores["gad7"].total == sum(values[9:])
    assert assessment.questionnaire_version == QUESTIONNAIRE_VERSION


def test_item_9_above_0_flags_thoughts_of_self_harm() -> None:
    answers = dict(complete())
    assert not scored("c1", list(answers.items()), None, NOW).self_harm_flag
    for value in (1, 2, 3):
        assert scored("c1", list({**answers, "phq9_9": value}.items()), None, NOW).self_harm_flag


def test_concerns_are_kept_trimmed_and_blank_is_none() -> None:
    assert scored("c1", complete(), "  Low mood  ", NOW).concerns == "Low mood"
    assert scored("c1", complete(), "   ", NOW).concerns is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda a: [*a, ("phq9_10", 1)], "answers[16].question_id is not a question"),
        (lambda a: [(q, 4) if q == "gad7_3" else (q, v) for q, v in a], "gad7_3 is answered from 0 to 3"),
        (lambda a: [(q, -1) if q == "phq9_2" else (q, v) for q, v in a], "phq9_2 is answered from 0 to 3"),
        (lambda a: [(q, v) for q, v in a if q != "phq9_5"], "unanswered: phq9_5"),
        (lambda a: [(q, v) for q, v in a if not q.startswith("gad7")], "unanswered: gad7_1, gad7_2"),
        (lambda a: [*a, ("phq9_1", 0)], "phq9_1 is answered twice"),
    ],
)
def test_each_kind_of_bad_answer_is_refused_naming_it(change: Callable[[Answers], Answers], named: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        scored("c1", change(complete(phq9=3, gad7=2)), None, NOW)
    assert named in refused.value.detail


def test_an_out_of_range_answer_is_not_also_reported_unanswered() -> None:
    answers = [(q, 9) if q == "gad7_3" else (q, v) for q, v in complete()]
    with pytest.raises(ValidationFailed) as refused:
        scored("c1", answers, None, NOW)
    assert "unanswered" not in refused.value.detail and "9" not in refused.value.detail.replace("phq9", "")
