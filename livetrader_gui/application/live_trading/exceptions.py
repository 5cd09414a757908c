"""Errors of the live-trading core; each message names what is wrong and where."""

from __future__ import annotations

from livetrader_gui.domain import PreRequisiteCheck


class LiveTradingError(Exception):
    """Base of the live-trading errors."""


class BrokerNotFoundError(LiveTradingError):
    """The session asks for a broker the registry does not know."""


class SessionNotFoundError(LiveTradingError):
    """No active session has this id."""


class SignalNotFoundError(LiveTradingError):
    """No pending signal has this id (it may have been executed, dismissed or expired)."""


class PreRequisiteNotMetError(LiveTradingError):
    """The go-live gate refused: ``check`` holds every item with its evidence."""

    def __init__(self, check: PreRequisiteCheck) -> None:
        self.check = check
        failed = "; ".join(f"{i.kind.label}: {i.evidence}" for i in check.failed_checks)
        super().__init__(f"the strategy may not go live yet — {failed}")


class OrderNotPermittedError(LiveTradingError):
    """The session may not send this order now (paused, halted, or exits only)."""
