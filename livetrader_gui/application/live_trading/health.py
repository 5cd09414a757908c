"""How a runner's ticks are going: errors told once with a count, and ticks that keep failing.

A broker that times out on every tick would otherwise fill the log with one traceback a tick
and leave the session showing RUNNING while nothing works. ``TickHealth`` tells the first
occurrence of an error in full, counts the repeats, says how many there were once it stops,
and tells the runner when the failures have lasted long enough to pause the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from livetrader_gui.application.read_models import LogLevel

_log = logging.getLogger(__name__)


@dataclass
class TickHealth:
    """Counts failed ticks and repeated errors of one session.

    *log* receives what the trader reads (the activity log); the first occurrence of each
    error also goes to the application log with its traceback.
    """

    session_id: str
    log: Callable[[LogLevel, str], None]
    pause_after: int = 5
    failed_ticks: int = 0
    last_failure: str = ""
    _repeats: dict[str, int] = field(default_factory=dict)

    def error(self, key: str, message: str, error: BaseException) -> None:
        """Record an error; tell it the first time, count it afterwards."""
        count = self._repeats.get(key)
        if count is None:
            self._repeats[key] = 0
            _log.error("session %s: %s", self.session_id, message, exc_info=error)
            self.log(LogLevel.ERROR, message)
        else:
            self._repeats[key] = count + 1

    def tick_failed(self, reason: str) -> bool:
        """Count a failed tick; return True once ``pause_after`` failed in a row."""
        self.failed_ticks += 1
        self.last_failure = reason
        return self.failed_ticks == self.pause_after

    def tick_succeeded(self) -> None:
        """End the runs of failures and say how often each error came back."""
        self.failed_ticks = 0
        for key, count in self._repeats.items():
            if count:
                self.log(LogLevel.WARNING, f"{key}: the same error came {count} more time(s)")
        self._repeats.clear()
