"""Progress from a worker thread to the GUI thread, safe against the window closing under it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class ThreadProgress(QObject):
    """Emit ``moved`` from any thread; Qt queues it to the receivers on the GUI thread.

    Create it without a parent and keep it referenced by the running command: closing the
    window that shows the progress then cannot delete it while the worker still emits, and Qt
    drops the connection to a receiver that is gone.
    """

    moved = Signal(float)
