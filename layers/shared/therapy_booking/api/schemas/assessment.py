"""The self-assessment: GET /assessment/questions, PUT/GET /clients/me/assessment, GET /clients/{id}/assessment."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, FreeText, JsonInt, UtcInstant
from therapy_booking.domain.assessment import (
    CONCERNS_MAX_LENGTH,
    CONCERNS_PROMPT,
    INSTRUMENTS,
    QUESTIONNAIRE_VERSION,
    SCALE,
    Assessment,
)

QuestionId = Annotated[str, FreeText(64, non_blank=True)]
Concerns = Annotated[str, FreeText(CONCERNS_MAX_LENGTH, non_blank=False)]


class ChoiceBody(Body):
    value: int
    label: str


class QuestionBody(Body):
    question_id: str
    text: str


class BandBody(Body):
    low: int
    high: int
    band: str
    label: str


class InstrumentBody(Body):
    instrument_id: str
    title: str
    stem: str
    questions: list[QuestionBody]
    bands: list[BandBody] = Field(description="Severity bands of the total, as published.")


class ConcernsBody(Body):
    prompt: str
    max_length: int


class Questionnaire(Body):
    questionnaire_version: str
    concerns: ConcernsBody = Field(description="The free-text question: what the client is seeking help with.")
    scale: list[ChoiceBody] = Field(description="How every question of the instruments is answered.")
    instruments: list[InstrumentBody]

    @classmethod
    def current(cls) -> Questionnaire:
        return cls(
            questionnaire_version=QUESTIONNAIRE_VERSION,
            concerns=ConcernsBody(prompt=CONCERNS_PROMPT, max_length=CONCERNS_MAX_LENGTH),
            scale=[ChoiceBody(value=c.value, label=c.label) for c in SCALE],
            instruments=[
                InstrumentBody(
                    instrument_id=i.instrument_id,
                    title=i.title,
                    stem=i.stem,
                    questions=[QuestionBody(question_id=q.question_id, text=q.text) for q in i.questions],
                    bands=[BandBody(low=b.low, high=b.high, band=b.band, label=b.label) for b in i.bands],
                )
                for i in INSTRUMENTS
            ],
        )


class AnswerBody(Body):
    question_id: QuestionId = Field(examples=["phq9_1"])
    answer: JsonInt = Field(description="0 to 3 (see the questionnaire's scale).", examples=[1])


class AssessmentRequest(Body):
    answers: list[AnswerBody] = Field(
        max_length=64, description="Every question of every instrument (phq9_1..phq9_9, gad7_1..gad7_7), once each."
    )
    concerns: Concerns | None = Field(default=None, description="What the client is seeking help with.")


class ScoreBody(Body):
    total: int
    band: str = Field(examples=["moderately_severe"])


class AssessmentResponse(Body):
    client_id: str
    questionnaire_version: str
    answers: list[AnswerBody]
    concerns: str | None
    scores: dict[str, ScoreBody] = Field(examples=[{"phq9": {"total": 18, "band": "moderately_severe"}}])
    self_harm_flag: bool = Field(description="PHQ-9 item 9 (thoughts of self-harm) was answered above 0.")
    crisis_guidance: str | None = Field(
        default=None, description="The client's own answers only, when self_harm_flag is set: where to get help now."
    )
    updated_at: UtcInstant

    @classmethod
    def of(cls, assessment: Assessment, crisis_guidance: str | None = None) -> AssessmentResponse:
        return cls(
            client_id=assessment.client_id,
            questionnaire_version=assessment.questionnaire_version,
            answers=[AnswerBody(question_id=q, answer=a) for q, a in assessment.answers.items()],
            concerns=assessment.concerns,
            scores={name: ScoreBody(total=s.total, band=s.band) for name, s in assessment.scores.items()},
            self_harm_flag=assessment.self_harm_flag,
            crisis_guidance=crisis_guidance if assessment.self_harm_flag else None,
            updated_at=assessment.updated_at,
        )
