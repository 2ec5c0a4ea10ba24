from __future__ import annotations

from datetime import UTC, datetime, timedelta


class LocalClock:
    """Real time plus an offset that `/dev/clock` moves forward; the handlers' `now`."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)
