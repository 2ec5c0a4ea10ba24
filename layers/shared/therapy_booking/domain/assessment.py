"""The client's self-assessment (PRODUCT.md, "Clients"): what they are seeking help with, and the two public-domain
screening questionnaires of UK talking therapies, PHQ-9 (depression) and GAD-7 (anxiety), with their published
wording, answer scale and severity bands.

The questionnaire is data, here and only here, under `QUESTIONNAIRE_VERSION`: a platform changes it in this module
(and the version), and every stored assessment says which version it answered. Assessments are health data: only
the client and the therapists the client has booked with read them (one read: the pair's relationship item,
written with every booking, and the assessment), never an admin; they are never logged and never in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from therapy_booking.domain.errors import NotFound, ValidationFailed
from therapy_booking.domain.model import Actor, Role
from therapy_booking.domain.ports import Clock
from therapy_booking.domain.services import require_role

QUESTIONNAIRE_VERSION = "2026-12-phq9-gad7"
CONCERNS_MAX_LENGTH = 2000
CONCERNS_PROMPT = "What are you seeking help with? In your own words: what brings you to therapy now."


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


# The answer scale of both instruments, as published.
SCALE = (
    Choice(0, "Not at all"),
    Choice(1, "Several days"),
    Choice(2, "More than half the days"),
    Choice(3, "Nearly every day"),
)
LOWEST, HIGHEST = SCALE[0].value, SCALE[-1].value


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    band: str  # the machine name (`moderately_severe`)
    label: str  # as published ("Moderately severe")


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    title: str
    stem: str
    questions: tuple[Question, ...]
    bands: tuple[Band, ...]

    @property
    def maximum(self) -> int:
        return HIGHEST * len(self.questions)

    def band_of(self, total: int) -> Band:
        return next(band for band in self.bands if band.low <= total <= band.high)


STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

PHQ9 = Instrument(
    instrument_id="phq9",
    title="Patient Health Questionnaire (PHQ-9)",
    stem=STEM,
    questions=tuple(
        Question(f"phq9_{number}", text)
        for number, text in enumerate(
            (
                "Little interest or pleasure in doing things",
                "Feeling down, depressed, or hopeless",
                "Trouble falling or staying asleep, or sleeping too much",
                "Feeling tired or having little energy",
                "Poor appetite or overeating",
                "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
                "Trouble concentrating on things, such as reading the newspaper or watching television",
                "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so "
                "fidgety or restless that you have been moving around a lot more than usual",
                "Thoughts that you would be better off dead or of hurting yourself in some way",
            ),
            start=1,
        )
    ),
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 19, "moderately_severe", "Moderately severe"),
        Band(20, 27, "severe", "Severe"),
    ),
)

GAD7 = Instrument(
    instrument_id="gad7",
    title="Generalised Anxiety Disorder Assessment (GAD-7)",
    stem=STEM,
    questions=tuple(
        Question(f"gad7_{number}", text)
        for number, text in enumerate(
            (
                "Feeling nervous, anxious or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid as if something awful might happen",
            ),
            start=1,
        )
    ),
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 21, "severe", "Severe"),
    ),
)

INSTRUMENTS = (PHQ9, GAD7)
QUESTIONS = {question.question_id: question for instrument in INSTRUMENTS for question in instrument.questions}
SELF_HARM_QUESTION = "phq9_9"  # answered above 0: the client is shown the crisis guidance, the therapist a flag


@dataclass(frozen=True)
class Score:
    total: int
    band: str


@dataclass(frozen=True)
class Assessment:
    client_id: str
    questionnaire_version: str
    answers: dict[str, int]  # question id -> 0..3, every question of every instrument
    concerns: str | None
    scores: dict[str, Score]  # instrument id -> its total and band
    updated_at: datetime

    @property
    def self_harm_flag(self) -> bool:
        """PHQ-9 item 9 (thoughts of self-harm) answered above 0."""
        return self.answers.get(SELF_HARM_QUESTION, 0) > 0


def scored(client_id: str, answers: Iterable[tuple[str, int]], concerns: str | None, now: datetime) -> Assessment:
    """The assessment the answers make, or ValidationFailed naming every unknown question, out-of-range answer,
    repeated question and missing item of a scored instrument. Nothing of the answers is in the message."""
    given: dict[str, int] = {}
    seen: set[str] = set()
    problems: list[str] = []
    for position, (question_id, answer) in enumerate(answers):
        if question_id not in QUESTIONS:  # named by its place in the list: what was sent is never echoed
            problems.append(f"answers[{position}].question_id is not a question of this questionnaire")
        elif question_id in seen:
            problems.append(f"{question_id} is answered twice")
        elif not LOWEST <= answer <= HIGHEST:
            problems.append(f"{question_id} is answered from {LOWEST} to {HIGHEST}")
        else:
            given[question_id] = answer
        seen.add(question_id)
    missing = [q.question_id for instrument in INSTRUMENTS for q in instrument.questions if q.question_id not in seen]
    if missing:
        problems.append(f"unanswered: {', '.join(missing)}")
    if problems:
        raise ValidationFailed("The questionnaire is not complete: " + "; ".join(problems) + ".")
    scores = {}
    for instrument in INSTRUMENTS:
        total = sum(given[q.question_id] for q in instrument.questions)
        scores[instrument.instrument_id] = Score(total, instrument.band_of(total).band)
    text = concerns.strip() if concerns else None
    return Assessment(client_id, QUESTIONNAIRE_VERSION, given, text or None, scores, now)


class AssessmentRepository(Protocol):
    def get(self, client_id: str) -> Assessment | None: ...

    def save(self, assessment: Assessment) -> None: ...

    def get_for_therapist(self, client_id: str, therapist_id: str) -> Assessment | None:
        """The client's assessment if the therapist has had a session with the client (their relationship item
        exists), in one read; None otherwise, or if there is no assessment."""


class AssessmentService:
    def __init__(self, assessments: AssessmentRepository, clock: Clock) -> None:
        self._assessments = assessments
        self._clock = clock

    def put_own(self, actor: Actor, answers: Iterable[tuple[str, int]], concerns: str | None) -> Assessment:
        require_role(actor, Role.CLIENT, "fill in a self-assessment")
        assessment = scored(actor.user_id, answers, concerns, self._clock.now())
        self._assessments.save(assessment)
        return assessment

    def own(self, actor: Actor) -> Assessment:
        require_role(actor, Role.CLIENT, "read their self-assessment")
        assessment = self._assessments.get(actor.user_id)
        if assessment is None:
            raise NotFound("You have not filled in the self-assessment yet.")
        return assessment

    def of_client(self, actor: Actor, client_id: str) -> Assessment:
        """For a therapist the client has booked with (any session, any status); 404 to everyone else, admins
        included: no one else may even learn whether there is one."""
        found = None
        if actor.has(Role.THERAPIST):
            found = self._assessments.get_for_therapist(client_id, actor.user_id)
        if found is None:
            raise NotFound("There is no assessment you can read for that client.")
        return found
