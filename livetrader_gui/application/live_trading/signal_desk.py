"""``SignalDesk``: a session's signals, saved and shown, and the MANUAL ones awaiting the trader.

A new signal is saved before anything is done about it (``publish`` raises if it cannot be). A
signal's later changes (executed, rejected, expired) happen whether or not the store takes them
at once: one that could not be saved waits here and ``flush`` writes it later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from livetrader_gui.application.live_trading.exceptions import SignalNotFoundError
from livetrader_gui.application.ports import ISessionObserver, ISignalRepository, StorageError
from livetrader_gui.application.read_models import SignalSnapshot
from livetrader_gui.domain import SignalStatus, TradingSignal


class SignalDesk:
    """Every change of a signal is saved, then shown; pending ones wait here until they close."""

    def __init__(
        self, session_id: str, repository: ISignalRepository, observer: ISessionObserver
    ) -> None:
        self._session_id = session_id
        self._repository = repository
        self._observer = observer
        self._pending: dict[str, TradingSignal] = {}
        # Signals taken out of the queue by an execute that is still under way.
        self._claimed: dict[str, TradingSignal] = {}
        # Closed signals whose last change the store refused: written by ``flush``.
        self._unsaved: dict[str, TradingSignal] = {}

    @property
    def pending(self) -> list[TradingSignal]:
        """Return the signals waiting for the trader, oldest first."""
        return list(self._pending.values())

    def waiting_on(self, symbol: str) -> bool:
        """Tell whether a signal of *symbol* waits for the trader or is being executed."""
        return any(s.symbol == symbol for s in (*self._pending.values(), *self._claimed.values()))

    def hold(self, signal: TradingSignal) -> None:
        """Keep an approved MANUAL signal until it is executed, dismissed or expires."""
        self._pending[signal.id] = signal

    def get(self, signal_id: str) -> TradingSignal:
        """Return a pending signal, or raise ``SignalNotFoundError``."""
        signal = self._pending.get(signal_id)
        if signal is None:
            raise SignalNotFoundError(
                f"no pending signal {signal_id} in session {self._session_id}"
            )
        return signal

    def claim(self, signal_id: str) -> TradingSignal:
        """Take a pending signal out of the queue to execute it, before anything is awaited.

        A second execute of the same signal (a double click) then finds nothing to execute.
        The claimed signal holds no slot while its risk is re-checked.
        """
        signal = self.get(signal_id)
        self._claimed[signal_id] = self._pending.pop(signal_id)
        return signal

    def unclaim(self, signal: TradingSignal) -> None:
        """Put a claimed signal back in the queue: its execute stopped before deciding."""
        if self._claimed.pop(signal.id, None) is not None and signal.status is SignalStatus.PENDING:
            self._pending[signal.id] = signal

    def forget(self, signal_id: str) -> None:
        """Stop tracking a claimed signal whose order was handed to the executor."""
        self._claimed.pop(signal_id, None)

    async def publish(self, signal: TradingSignal) -> None:
        """Save *signal* and tell the observers."""
        await self._repository.save(signal)
        self._observer.on_signal_emitted(SignalSnapshot.of(signal))

    async def close(self, signal: TradingSignal, close: Callable[[TradingSignal], None]) -> None:
        """Apply *close* (execute, reject, dismiss, expire), then save and tell."""
        close(signal)
        self._pending.pop(signal.id, None)
        self._claimed.pop(signal.id, None)
        self._observer.on_signal_emitted(SignalSnapshot.of(signal))
        self._unsaved[signal.id] = signal
        await self.flush()

    async def flush(self) -> bool:
        """Save the closed signals the store refused before; True once none waits."""
        for signal_id, signal in list(self._unsaved.items()):
            try:
                await self._repository.save(signal)
            except StorageError:
                return False
            self._unsaved.pop(signal_id, None)
        return True

    async def close_all(self, close: Callable[[TradingSignal], None]) -> None:
        """Close every pending signal the same way (stop, halt)."""
        for signal in list(self._pending.values()):
            await self.close(signal, close)

    async def expire(self, now: datetime) -> list[TradingSignal]:
        """Close the pending signals whose time is up; return them."""
        expired = []
        for signal in list(self._pending.values()):
            if signal.status is SignalStatus.PENDING and signal.is_expired(now):
                await self.close(signal, TradingSignal.expire)
                expired.append(signal)
        return expired
