"""The optional reason of a decline (POST /sessions/{id}/decline) or a cancellation (/cancel)."""

from __future__ import annotations

from therapy_booking.api.schemas.fields import Body, ShortText


class ReasonRequest(Body):
    reason: ShortText | None = None
