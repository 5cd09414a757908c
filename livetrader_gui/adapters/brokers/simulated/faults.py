"""Faults the simulated broker can be told to show, for tests and rehearsals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SimulatedFaults:
    """Switches that make ``SimulatedBroker`` misbehave like a real venue sometimes does.

    Attributes
    ----------
    latency
        Seconds (on the broker's clock) every call waits before it is answered.
    """

    latency: float = 0.0
    dropped: bool = False
    refusals: int = 0
    lost_order_answers: int = 0
    timeouts: int = 0
    account_blocked: bool = False
    silenced: set[str] = field(default_factory=set)
    silence_all: bool = False
    rate_limited_until: datetime | None = None
    _rejects: list[str] = field(default_factory=list)

    def disconnect(self) -> None:
        """Drop the connection now; every call fails until ``connect`` succeeds."""
        self.dropped = True

    def refuse_connections(self, count: int) -> None:
        """Make the next *count* ``connect`` calls fail."""
        self.refusals = count

    def reject_next_orders(
        self, count: int, reason: str = "rejected by the broker (fault injected)"
    ) -> None:
        """Make the next *count* orders come back REJECTED with *reason*."""
        self._rejects.extend([reason] * count)

    def next_reject(self) -> str | None:
        """Return (and consume) the reason for the next injected rejection, if any."""
        return self._rejects.pop(0) if self._rejects else None

    def lose_next_order_answers(self, count: int) -> None:
        """Accept the next *count* orders but lose the answer: the caller sees a timeout."""
        self.lost_order_answers = count

    def time_out_next_calls(self, count: int) -> None:
        """Make the next *count* calls (of any kind) time out without doing anything."""
        self.timeouts = count

    def rate_limit(self, until: datetime) -> None:
        """Answer every call with "too many requests" (HTTP 429) until the broker's *until*."""
        self.rate_limited_until = until

    def silence_feed(self, *symbols: str) -> None:
        """Freeze quotes and candles (of *symbols*, or of all) while the connection stays up."""
        if symbols:
            self.silenced.update(symbols)
        else:
            self.silence_all = True

    def restore_feed(self) -> None:
        """Let market data flow again."""
        self.silenced.clear()
        self.silence_all = False

    def is_silenced(self, symbol: str) -> bool:
        """Tell whether *symbol*'s feed is frozen."""
        return self.silence_all or symbol in self.silenced
