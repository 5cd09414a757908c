"""A running backtest's progress bar and Cancel button, shared by the wizard and the editor.

The backtest runs in a worker thread and reports progress from there; ``ThreadProgress`` carries
it to the GUI thread. The window showing the controls may close while the thread still works:
closing sets the cancel event, and nothing is drawn on widgets that are gone.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from livetrader_gui.application.desk import BacktestRun
from livetrader_gui.processing.backtest import BacktestCancelledError

STEPS = 1000


class ThreadProgress(QObject):
    """Emit ``moved`` from any thread; Qt queues it to the receivers on the GUI thread.

    It has no parent and is held by the running backtest, so closing the window cannot delete
    it while the worker still emits; Qt drops the connection to a receiver that is gone.
    """

    moved = Signal(float)


class BacktestControls(QWidget):
    """Shows one backtest at a time: a progress bar and Cancel, hidden when none runs."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.cancel_button = QPushButton("Cancel backtest")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self._cancel: threading.Event | None = None
        self._show(False)

    @property
    def running(self) -> bool:
        """Tell whether a backtest is under way."""
        return self._cancel is not None

    def cancel(self) -> None:
        """Ask the running backtest to stop (it stores nothing)."""
        if self._cancel is not None:
            self._cancel.set()

    def run(
        self,
        start: Callable[[Callable[[float], None], threading.Event], Awaitable[BacktestRun]],
    ) -> Awaitable[BacktestRun | None]:
        """Show the controls now and return the backtest ``start(progress, cancel)``, to await.

        Its answer is None when the backtest was cancelled.
        """
        emitter = ThreadProgress()
        emitter.moved.connect(self._on_moved)
        cancel = self._cancel = threading.Event()
        self.progress.setValue(0)
        self._show(True)
        return self._finish(start(emitter.moved.emit, cancel), emitter)

    async def _finish(
        self, pending: Awaitable[BacktestRun], emitter: ThreadProgress
    ) -> BacktestRun | None:
        # *emitter* is held here for as long as the worker thread may emit.
        try:
            return await pending
        except BacktestCancelledError:
            return None
        finally:
            self._cancel = None
            emitter.deleteLater()
            if shiboken6.isValid(self):
                self._show(False)

    def _on_moved(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * STEPS))

    def _show(self, shown: bool) -> None:
        self.progress.setVisible(shown)
        self.cancel_button.setVisible(shown)
