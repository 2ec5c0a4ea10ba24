"""Demo data seeded at start, through the real handlers: a therapist and a client."""

from __future__ import annotations

import json
from dataclasses import dataclass

from local_stack.runtime import LocalStack

DEMO_TOKEN_LIFETIME = 24 * 3600


@dataclass(frozen=True)
class DemoUser:
    sub: str
    role: str


THERAPIST = DemoUser("demo-therapist", "therapist")
CLIENT = DemoUser("demo-client", "client")
ADMIN = DemoUser("demo-admin", "admin")

THERAPIST_PROFILE = {
    "name": "Dr Demo Therapist",
    "email": "therapist@demo.invalid",
    "phone": "+447700900123",
    "sms_opt_in": True,
    "timezone": "Europe/London",
    "locations": [
        {"id": "consulting-room", "kind": "in_person", "address": "1 Demo Street, London W1G 9QD"},
        {"id": "video", "kind": "online", "link": "https://meet.demo.invalid/therapist"},
        {"id": "phone", "kind": "phone"},
    ],
    "session_types": [
        {"type": "individual", "duration_minutes": 50, "price": {"amount": 6000, "currency": "GBP"}},
        {"type": "couple", "duration_minutes": 80, "price": {"amount": 9000, "currency": "GBP"}},
    ],
    "free_initial_consultation": True,
    "visible": True,
}
AVAILABILITY = {
    "weekly": [{"day": day, "start": "09:00", "end": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")],
    "min_notice_hours": 24,
    "horizon_days": 60,
}
CLIENT_PROFILE = {
    "name": "Demo Client",
    "email": "client@demo.invalid",
    "phone": "+447700900456",
    "sms_opt_in": False,
    "timezone": "Europe/London",
}


def seed(stack: LocalStack) -> None:
    def put(user: DemoUser, path: str, body: dict[str, object]) -> None:
        token = stack.issuer.issue(user.sub, user.role)
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        answer = stack.handle_api("PUT", path, "", headers, json.dumps(body).encode())
        if answer.status != 200:
            raise RuntimeError(f"seeding {path} failed with {answer.status}: {answer.body.decode()}")

    put(THERAPIST, "/therapists/me", THERAPIST_PROFILE)
    put(THERAPIST, "/therapists/me/availability", AVAILABILITY)
    put(CLIENT, "/clients/me", CLIENT_PROFILE)


def tokens(stack: LocalStack) -> dict[str, str]:
    return {
        user.role: stack.issuer.issue(user.sub, user.role, DEMO_TOKEN_LIFETIME) for user in (THERAPIST, CLIENT, ADMIN)
    }
