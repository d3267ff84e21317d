"""Resource Graph's user quota, honoured before it runs out rather than only after a 429.

Every Resource Graph answer carries `x-ms-user-quota-remaining` (int: queries left in this window) and
`x-ms-user-quota-resets-after` (hh:mm:ss: until the window resets), and Microsoft's guidance is to back off on
them (learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests). An
azure-core policy placed after the RetryPolicy, so every attempt (retries after a 429 too) waits for the
window when the quota left is used up. One policy per client: the audit's concurrent queries share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

REMAINING = "x-ms-user-quota-remaining"
RESETS_AFTER = "x-ms-user-quota-resets-after"


class ResourceGraphQuotaPolicy(SansIOHTTPPolicy[Any, Any]):
    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._left: int | None = None  # queries left in the current window, as last reported (None: unknown)
        self._resets_at = 0.0
        self._in_flight = 0  # sent, not answered: the quota an answer reports may not count them yet

    def on_request(self, request: PipelineRequest[Any]) -> None:
        with self._lock:  # held while waiting: every other query waits for the same window
            now = self._clock()
            if self._left is not None and self._left <= 0 and now < self._resets_at:
                self._sleep(self._resets_at - now)
                now = self._clock()
            if now >= self._resets_at:
                self._left = None  # a new window: the next answer tells
            if self._left is not None:
                self._left -= 1  # counted at sending, so concurrent queries do not all spend the last one
            self._in_flight += 1

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        headers = response.http_response.headers
        left, resets = headers.get(REMAINING), headers.get(RESETS_AFTER)
        try:
            reading = (int(left), _seconds(resets)) if left is not None and resets is not None else None
        except ValueError:
            reading = None  # an unreadable header is no reason to fail a read; 429s are still retried
        with self._lock:
            self._in_flight -= 1
            if reading is None:
                return
            count, seconds = reading
            resets_at = self._clock() + seconds
            # Queries still in flight may spend what this answer reports left (conservative: they may already be
            # counted); answers of concurrent queries arrive in any order, so within a window the lowest wins.
            count -= self._in_flight
            same_window = self._left is not None and abs(resets_at - self._resets_at) < 1.0
            self._left = min(count, self._left) if same_window and self._left is not None else count
            self._resets_at = resets_at

    def on_exception(self, request: PipelineRequest[Any]) -> None:
        with self._lock:
            self._in_flight -= 1


def _seconds(text: str) -> float:
    """hh:mm:ss (the documented format), seconds possibly fractional."""
    hours, minutes, seconds = text.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
