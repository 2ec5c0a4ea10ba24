"""Cold start: each function builds the request and response models of its own routes, and no others.

Each function is imported in a fresh interpreter, as Lambda does; the `therapy_booking.api.schemas` modules it
loaded are compared with the route groups it serves (the shared field types and problems are in every one)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from local_stack.template import REPO_ROOT, functions
from tests.support.environment import TEST_ENVIRONMENT

EVERY_ROUTE = {"fields", "problems"}
SCHEMAS_OF = {
    "AdminFunction": EVERY_ROUTE | {"sessions", "admin", "standing"},
    "AssessmentFunction": EVERY_ROUTE | {"assessment"},
    "PersonalDataFunction": EVERY_ROUTE
    | {"personal_data", "profiles", "therapists", "assessment", "sessions", "reservations"},
    "BookingFunction": EVERY_ROUTE | {"sessions", "booking"},
    "CalendarFeedAddressFunction": EVERY_ROUTE | {"calendar_feed"},
    "CalendarFeedFunction": EVERY_ROUTE,
    "CalendarImportFunction": EVERY_ROUTE | {"calendar_import"},
    "CancellationFunction": EVERY_ROUTE | {"sessions", "reasons", "cancellation"},
    "ClientAnswersFunction": EVERY_ROUTE | {"sessions", "client_answers"},
    "ProfilesFunction": EVERY_ROUTE | {"therapists", "profiles", "standing"},
    "ReadsFunction": EVERY_ROUTE | {"sessions", "therapists", "reads"},
    "ReservationsFunction": EVERY_ROUTE | {"reservations"},
    "RearrangementFunction": EVERY_ROUTE | {"sessions", "rearrangement"},
    "TherapistResponsesFunction": EVERY_ROUTE | {"sessions", "reasons"},
}
PACKAGE = "therapy_booking.api.schemas"
LOADED = f"""
import sys
__import__(sys.argv[1])
print(",".join(sorted(n.removeprefix("{PACKAGE}.") for n in sys.modules if n.startswith("{PACKAGE}."))))
"""


def schema_modules_of(module: str) -> set[str]:
    path = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "layers" / "shared")])
    env = {**os.environ, **TEST_ENVIRONMENT, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", LOADED, module], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return set(filter(None, done.stdout.strip().split(",")))


@pytest.mark.parametrize("name", sorted(functions()))
def test_a_function_imports_the_models_of_its_own_routes_only(name: str) -> None:
    # Functions without HTTP routes import no body at all
    assert schema_modules_of(functions()[name].module) == SCHEMAS_OF.get(name, set())
