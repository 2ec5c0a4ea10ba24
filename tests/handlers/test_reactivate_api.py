"""POST /admin/therapists/{therapist_id}/reactivate through the real handler."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api
from tests.support.scenario import ADMIN, CLIENT, THERAPIST, publish_therapist

NOTE = {"note": "Spoke with the therapist: a family emergency."}


def reactivate(api: Api, who: Any = ADMIN, therapist_id: str = THERAPIST.sub, body: Any = None) -> Any:
    return api.post(f"/admin/therapists/{therapist_id}/reactivate", who, NOTE if body is None else body)


def profile_item(aws: Any) -> dict[str, Any]:
    key = {"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": "PROFILE"}}
    item: dict[str, Any] = aws.get_item(TableName="therapy-booking-test", Key=key)["Item"]
    return item


def deactivate(aws: Any, streak: int = 5) -> None:
    """As the fifth cancellation leaves the account: deactivated, out of the listing."""
    aws.update_item(
        TableName="therapy-booking-test",
        Key={"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET cancellation_streak = :n, deactivated = :t REMOVE gsi1pk",
        ExpressionAttributeValues={":n": {"N": str(streak)}, ":t": {"BOOL": True}},
    )


class TestReactivate:
    def test_an_admin_reactivates_a_deactivated_therapist(self, api: Api, aws: Any) -> None:
        # Given a published therapist deactivated by five cancellations in a row
        publish_therapist(api)
        deactivate(aws)
        assert api.get("/therapists", CLIENT).body["items"] == []
        assert api.get("/therapists/me", THERAPIST).body["deactivated"] is True
        # When an admin reactivates the account with a note
        answer = reactivate(api)
        # Then 200 with the standing: streak 0, not flagged, not deactivated, and the newcomer's neutral rank
        assert answer.status == 200, answer.body
        standing = answer.body
        assert {key: standing[key] for key in ("therapist_id", "cancellation_streak", "flagged", "deactivated")} == {
            "therapist_id": THERAPIST.sub,
            "cancellation_streak": 0,
            "flagged": False,
            "deactivated": False,
        }
        assert standing["response_time"] == {"median_business_minutes": None, "samples": 0, "within_sla_ratio": None}
        assert standing["rank_score"] == pytest.approx(sum(standing["rank_factors"].values()))
        # And the therapist is listed again, and the note is kept on the account with who and when
        assert [t["therapist_id"] for t in api.get("/therapists", CLIENT).body["items"]] == [THERAPIST.sub]
        item = profile_item(aws)
        assert (item["reactivation_note"]["S"], item["reactivated_by"]["S"]) == (NOTE["note"], ADMIN.sub)
        assert "reactivated_at" in item

    def test_a_hidden_profile_stays_out_of_the_listing(self, api: Api, aws: Any) -> None:
        # Given a deactivated therapist whose own profile is hidden
        publish_therapist(api, visible=False)
        deactivate(aws)
        # When an admin reactivates the account
        answer = reactivate(api)
        # Then it is active, but not listed until the therapist shows the profile again
        assert (answer.status, answer.body["deactivated"]) == (200, False)
        assert api.get("/therapists", CLIENT).body["items"] == []
        assert "gsi1pk" not in profile_item(aws)

    @pytest.mark.parametrize("who", [THERAPIST, CLIENT], ids=["therapist", "client"])
    def test_only_admins_may_reactivate(self, api: Api, aws: Any, who: Any) -> None:
        # Given a deactivated therapist / When the therapist or a client asks / Then 403 and nothing changes
        publish_therapist(api)
        deactivate(aws)
        answer = reactivate(api, who)
        assert (answer.status, answer.body["code"]) == (403, "forbidden")
        assert profile_item(aws)["deactivated"] == {"BOOL": True}

    def test_an_unknown_therapist_is_not_found(self, api: Api, aws: Any) -> None:
        # When an admin names a therapist who does not exist / Then 404, and no item is created
        answer = reactivate(api, therapist_id="nobody")
        assert (answer.status, answer.body["code"]) == (404, "not_found")
        assert "Item" not in aws.get_item(
            TableName="therapy-booking-test", Key={"pk": {"S": "THERAPIST#nobody"}, "sk": {"S": "PROFILE"}}
        )

    @pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}, {"note": "x" * 2001}, {"note": 5}])
    def test_a_bad_body_is_422(self, api: Api, aws: Any, body: dict[str, Any]) -> None:
        # Given a deactivated therapist / When the note is missing, blank, too long or not text
        publish_therapist(api)
        deactivate(aws)
        answer = reactivate(api, body=body)
        # Then 422 and nothing changes
        assert (answer.status, answer.body["code"]) == (422, "validation_error")
        assert profile_item(aws)["deactivated"] == {"BOOL": True}
