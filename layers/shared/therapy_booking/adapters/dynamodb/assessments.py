"""Self-assessments on DynamoDB: CLIENT#id / ASSESSMENT, read by a therapist together with the pair's relationship
item (CLIENT#id / THERAPIST#<therapist id>, written with every booking) in one BatchGetItem."""

from __future__ import annotations

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.models import AssessmentItem, ClientTherapistItem, client_key, therapist_key
from therapy_booking.adapters.dynamodb.transaction import Transaction
from therapy_booking.domain.assessment import Assessment, Score
from therapy_booking.domain.errors import Conflict

ASSESSMENT = "ASSESSMENT"


def _item(assessment: Assessment) -> AssessmentItem:
    return AssessmentItem(
        client_key(assessment.client_id),
        ASSESSMENT,
        client_id=assessment.client_id,
        questionnaire_version=assessment.questionnaire_version,
        answers=dict(assessment.answers),
        concerns=assessment.concerns,
        scores={name: {"total": s.total, "band": s.band} for name, s in assessment.scores.items()},
        updated_at=assessment.updated_at,
    )


def _assessment(item: AssessmentItem) -> Assessment:
    scores = item.scores.as_dict()
    return Assessment(
        client_id=item.client_id,
        questionnaire_version=item.questionnaire_version,
        answers={str(question): int(answer) for question, answer in item.answers.as_dict().items()},
        concerns=item.concerns,
        scores={str(name): Score(int(value["total"]), str(value["band"])) for name, value in scores.items()},
        updated_at=item.updated_at,
    )


class DynamoAssessments:
    def get(self, client_id: str) -> Assessment | None:
        try:
            return _assessment(AssessmentItem.get(client_key(client_id), ASSESSMENT))
        except AssessmentItem.DoesNotExist:
            return None

    def save(self, assessment: Assessment) -> None:
        """Store it, unless the client's data was erased (Forbidden)."""
        tx = Transaction()
        tx.refuse_if_erased(assessment.client_id)
        tx.put(_item(assessment), None, lambda: Conflict("The assessment was being saved twice at once; try again."))
        tx.commit()

    def get_for_therapist(self, client_id: str, therapist_id: str) -> Assessment | None:
        relationship_at = (client_key(client_id), therapist_key(therapist_id))
        assessment_at = (client_key(client_id), ASSESSMENT)
        found = get_items(relationship_at, assessment_at)
        relationship, assessment = found.get(relationship_at), found.get(assessment_at)
        if not isinstance(relationship, ClientTherapistItem) or not isinstance(assessment, AssessmentItem):
            return None
        return _assessment(assessment)
