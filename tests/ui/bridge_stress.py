"""Push many queued signals through the bridge; exit 0 only if every one arrived.

Run in a subprocess by ``test_bridge_regression.py``: PySide6 6.12.0 on Python 3.11 aborts the
process after a few thousand queued deliveries (STACK.md), which must fail a test, not kill pytest.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import UTC, datetime
from decimal import Decimal

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from livetrader_gui.domain import Quote
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver


def main(count: int) -> int:
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    signals = EngineSignals()
    observer = QtSessionObserver(signals)
    quote = Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), datetime.now(UTC))
    received = 0
    expected = 2 * count

    def on_quote(_: Quote) -> None:
        nonlocal received
        received += 1
        if received == expected:
            loop.stop()

    signals.quote_received.connect(on_quote)

    def from_worker_thread() -> None:
        # Cross-thread emits: every delivery is queued to the GUI thread.
        for _ in range(count):
            observer.on_quote_received(quote)

    def from_threadsafe_callbacks() -> None:
        # qasync's call_soon_threadsafe: the path engine code takes from executors.
        for _ in range(count):
            loop.call_soon_threadsafe(observer.on_quote_received, quote)

    workers = [
        threading.Thread(target=from_worker_thread),
        threading.Thread(target=from_threadsafe_callbacks),
    ]

    def start_workers() -> None:
        for worker in workers:
            worker.start()

    QTimer.singleShot(0, start_workers)
    QTimer.singleShot(240_000, loop.stop)  # a safety net, far beyond the normal few seconds
    with loop:
        loop.run_forever()
    for worker in workers:
        worker.join()
    print(f"received {received} of {expected}")
    return 0 if received == expected else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
