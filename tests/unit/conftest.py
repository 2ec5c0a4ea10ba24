import pytest

from tests.support.domain_data import AVAILABILITY, PROFILE
from tests.support.fakes import InMemoryStore
from therapy_booking.domain.model import Therapist


@pytest.fixture
def store() -> InMemoryStore:
    """A store holding one published therapist, t1."""
    return InMemoryStore(therapists={"t1": Therapist("t1", PROFILE, AVAILABILITY)})
