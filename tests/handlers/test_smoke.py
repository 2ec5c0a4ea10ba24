from tests.support.api import Api
from tests.support.scenario import CLIENT, THERAPIST, book, publish_therapist


def test_book_and_confirm(api: Api) -> None:
    publish_therapist(api)
    booked = book(api)
    assert booked.status == 201, booked.body
    sid = booked.body["session_id"]
    confirmed = api.post(f"/sessions/{sid}/confirm", THERAPIST)
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["status"] == "confirmed"
    got = api.get(f"/sessions/{sid}", CLIENT)
    assert got.body["version"] == 2
