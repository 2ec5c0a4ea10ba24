"""Tokens for the local stack, checked the way the API Gateway JWT authorizer checks Cognito's.

A fresh RSA key per run signs RS256 id tokens; every request's bearer token is
verified against that key's JWKS with the algorithm pinned, the issuer, the
audience (the app client id) and the expiry, before any handler runs.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "http://127.0.0.1/local-user-pool"
AUDIENCE = "local-web-client"
ROLE_GROUPS = {"therapist": "therapists", "client": "clients", "admin": "admins"}
DEFAULT_LIFETIME = 3600
MAX_LIFETIME = 7 * 24 * 3600


class InvalidToken(Exception):
    pass


@dataclass
class LocalIssuer:
    issuer: str = ISSUER
    audience: str = AUDIENCE
    key_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.key_id, "alg": "RS256", "use": "sig"}]}

    def issue(self, sub: str, role: str, expires_in: int = DEFAULT_LIFETIME) -> str:
        now = int(time.time())
        claims = {
            "sub": sub,
            "cognito:groups": [ROLE_GROUPS[role]],
            "iss": self.issuer,
            "aud": self.audience,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a valid `Bearer <token>` header, or InvalidToken."""
        if not authorization:
            raise InvalidToken("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("malformed authorization header")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if header.get("kid") != self.key_id:
            raise InvalidToken("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        return claims
