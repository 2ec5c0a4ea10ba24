"""Calendar feed tokens: HMAC-SHA256 of `<therapist id>:<generation>` under the platform's feed secret.

The secret is a Secrets Manager secret the template creates (`CalendarFeedSecret`, a generated string); it is
read on the first token derived, once per container, and kept in memory. Rotating the secret itself would move
every therapist's address at once (see docs/calendars.md, "For operators").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property

from therapy_booking.adapters import aws_clients


class SecretsManagerFeedTokens:
    def __init__(self, secret_id: str) -> None:
        self._secret_id = secret_id

    @cached_property
    def _key(self) -> bytes:
        answer = aws_clients.secretsmanager_client().get_secret_value(SecretId=self._secret_id)
        secret = answer.get("SecretString")
        if not secret:
            raise RuntimeError("The calendar feed secret has no string value.")
        return str(secret).encode()

    def token(self, therapist_id: str, generation: int) -> str:
        digest = hmac.new(self._key, f"{therapist_id}:{generation}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
