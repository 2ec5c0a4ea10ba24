"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as an authenticator app makes
them from the secret Cognito's AssociateSoftwareToken gives: for the deployed target's therapist and admin users."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

STEP_SECONDS = 30


def step_at(now: float) -> int:
    return int(now // STEP_SECONDS)


def code(secret: str, step: int) -> str:
    """The 6-digit code of `step` for a base32 `secret` (padding optional, as Cognito sends it)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
