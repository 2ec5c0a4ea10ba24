"""Typed domain errors. `api.problems` maps each to an HTTP problem; nothing else does."""


class DomainError(Exception):
    """A refusal the caller can act on; `detail` is a human sentence without personal data."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(DomainError):
    """The request is well-formed but breaks a rule (unknown location, time outside availability...)."""


class NotAnAvailableSlot(ValidationFailed):
    """A start the therapist's published availability does not offer (or no longer does)."""

    def __init__(self, start: str = "That start time") -> None:
        super().__init__(f"{start} is not one of the therapist's available slots.")


class NotAuthenticated(DomainError):
    pass


class NotFound(DomainError):
    """The resource does not exist, or the caller may not see it (no existence leaks)."""


class Forbidden(DomainError):
    """The caller can see the resource but its role may not perform the action."""


class SlotUnavailable(DomainError):
    """Time someone or something else holds. `clashing_starts`: the starts (UTC ISO 8601) of the occurrences of a
    reservation that clash, each named (the problem carries them too)."""

    def __init__(self, detail: str, clashing_starts: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.clashing_starts = clashing_starts


class InvalidTransition(DomainError):
    pass


class SessionInPast(DomainError):
    pass


class OfferAlreadyOpen(DomainError):
    pass


class FreeConsultationUsed(DomainError):
    pass


class TherapistUnavailableForBooking(DomainError):
    pass


class Conflict(DomainError):
    """A concurrent update won the race; reading again and retrying is safe."""


class OfferExpired(DomainError):
    pass
