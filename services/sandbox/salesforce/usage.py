"""The org's daily API allowance, counted per call as Salesforce counts it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


class ApiUsage:
    """Count API calls in the current UTC day against a daily allowance.

    Salesforce's allowance is a rolling 24 hours; a calendar day on the
    sandbox's clock is simpler to reason about in tests.
    """

    def __init__(self, daily_limit: int, clock: Callable[[], float]) -> None:
        self.daily_limit = daily_limit
        self.used = 0
        self._clock = clock
        self._day = self._today()

    def try_spend(self) -> bool:
        """Count one call; return False when the allowance is already spent."""
        self._roll_over()
        if self.used >= self.daily_limit:
            return False
        self.used += 1
        return True

    def header(self) -> str:
        """Return the ``Sforce-Limit-Info`` header value."""
        self._roll_over()
        return f"api-usage={self.used}/{self.daily_limit}"

    def remaining(self) -> int:
        self._roll_over()
        return max(self.daily_limit - self.used, 0)

    def reset(self) -> None:
        self.used = 0

    def _roll_over(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self.used = 0

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
