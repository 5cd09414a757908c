"""Entry point: settings, logging, the QApplication, the qasync loop, and the smoke test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import logging
import logging.handlers
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import TracebackType

from livetrader_gui.app.collector import pace_collector, settle_heap
from livetrader_gui.app.settings import AppSettings, SettingsError, parse_settings

EXIT_OK = 0
EXIT_SETTINGS = 2
EXIT_DATABASE = 3
EXIT_STARTUP = 4
EXIT_IN_USE = 5  # another copy of the app runs on the data folder

_log = logging.getLogger("livetrader_gui")
# What the trading area needs beyond the window's first paint: the engine (pandas, TA-Lib,
# SQLAlchemy, the calendars) and the workbench (pyqtgraph). None of them creates a Qt object
# when imported, so a worker thread loads them while Qt paints the window.
ENGINE_MODULES = ("livetrader_gui.app.bootstrap", "livetrader_gui.ui.workbench")


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        importlib.import_module(name)


def _configure_logging(log_file: Path) -> None:
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def _log_unhandled(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    _log.critical("unhandled exception", exc_info=(kind, error, trace))
    print(f"livetrader-gui: unexpected error: {error} (details in the log)", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; return the process exit code."""
    started = time.perf_counter()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["replay"]:
        from livetrader_gui.app.replay import replay_main

        return replay_main(arguments[1:])
    if arguments[:1] == ["backtest"]:
        from livetrader_gui.app.backtest import backtest_main

        return backtest_main(arguments[1:])
    try:
        settings = parse_settings(arguments, os.environ)
    except SettingsError as error:
        print(f"livetrader-gui: {error}", file=sys.stderr)
        return EXIT_SETTINGS
    if settings.smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    pace_collector()
    _configure_logging(settings.log_file)
    sys.excepthook = _log_unhandled
    if settings.crash_at is not None:
        _arm_crash_point(*settings.crash_at)

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("LiveTrader")
    app.setOrganizationName("LiveTrader")
    from livetrader_gui.app.instance import FolderInUseError, hold_data_folder

    try:
        folder = hold_data_folder(settings.data_dir)
    except FolderInUseError as error:
        _log.error("not started: %s", error)
        print(f"livetrader-gui: {error}", file=sys.stderr)
        if not settings.smoke_test:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.critical(None, "LiveTrader is already running", str(error))
        return EXIT_IN_USE
    # The window's close starts an orderly async shutdown; Qt must not stop the loop first.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_on_loop_exception)
    try:
        with loop:
            return int(loop.run_until_complete(_run(settings, app, started)))
    finally:
        folder.unlock()


def _arm_crash_point(point: str, nth: int) -> None:
    """Have the process die by SIGKILL the *nth* time the order path passes *point* (the
    crash campaign's hook; see ``crash_points``)."""
    from livetrader_gui.application import crash_points

    def die(reached: str) -> None:
        _log.warning("crash point %s reached (time %d): killing the process", reached, nth)
        logging.shutdown()  # the line above reaches the file before the kill
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    _log.warning("crash point %s armed: the process dies the %d. time it is passed", point, nth)
    crash_points.arm(point, nth, die)


def _on_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    error = context.get("exception")
    _log.error(
        "event loop: %s",
        context.get("message"),
        exc_info=error if isinstance(error, BaseException) else None,
    )


async def _run(settings: AppSettings, app: object, started: float) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from livetrader_gui.ui.main_window import MainWindow
    from livetrader_gui.ui.qt_bridge import EngineSignals

    signals = EngineSignals()
    layout = QSettings(str(settings.data_dir / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(signals, layout, last_view=settings.data_dir / "last-view.json")
    _show_unexpected_errors(window, str(settings.log_file))
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    painted = _first_paint(window)
    window.show()
    # From here the window's first paint overlaps the engine's loading; started earlier, the
    # loading thread slowed the window's construction (they share the interpreter) by more
    # than it gained.
    engine = asyncio.create_task(asyncio.to_thread(_import_all, ENGINE_MODULES))

    def fail(title: str, message: str) -> None:
        _log.error("%s: %s", title, message)
        print(f"livetrader-gui: {message}", file=sys.stderr)
        if not settings.smoke_test:
            QMessageBox.critical(window, title, message)

    first_paint: float | None = None
    try:
        first_paint = await asyncio.wait_for(asyncio.shield(painted), 2.0)
        _log.info("first paint %.3f s after start", first_paint - started)
    except TimeoutError:
        pass  # a window started minimized paints later; loading goes on
    try:
        await engine
    except ImportError as error:
        _log.exception("loading the engine failed")
        fail(
            "LiveTrader could not start",
            f"a part of LiveTrader is missing or broken: {error} (details in {settings.log_file})",
        )
        window.close()
        return EXIT_STARTUP

    from livetrader_gui.adapters.persistence.database import DatabaseError
    from livetrader_gui.app.bootstrap import build_workspace
    from livetrader_gui.application.observers import ObserverHub
    from livetrader_gui.application.ports import StorageError
    from livetrader_gui.ui.qt_bridge import QtSessionObserver

    observers = ObserverHub()
    observers.add(QtSessionObserver(signals))

    try:
        workspace = await build_workspace(settings, observers)
    except (DatabaseError, StorageError) as error:
        fail("Cannot open the database", str(error))
        window.close()
        return EXIT_DATABASE
    except Exception as error:
        _log.exception("start-up failed")
        fail("LiveTrader could not start", f"{error} (details in {settings.log_file})")
        window.close()
        return EXIT_STARTUP

    try:
        differences = await workspace.start(window.report)
        failed = await workspace.desk.failed_sessions()
    except StorageError as error:  # the database is locked by another program, or the disk full
        fail("Cannot use the database", str(error))
        with contextlib.suppress(StorageError):  # its last journal entry cannot be written
            await workspace.shutdown()
        window.close()
        return EXIT_DATABASE
    for difference in differences:
        _log.warning("reconciliation after restart: %s", difference)
    window.show_workspace(
        workspace.desk,
        workspace.broker.display_name,
        workspace.broker.broker_id,
        {i.symbol: i.name for i in workspace.instruments},
        workspace.calendar.timezone,
        str(workspace.database_info.path or workspace.database_info.url),
        failed,
        workspace.market_watch.latest(),
        workspace.connections,
        board=workspace.market_watch,
    )
    for problem in workspace.venue_problems:
        window.report(f"A broker was left out: {problem}")
    if workspace.market_watch.file_problem is not None:
        window.report(
            "The market watch shows its defaults; the watched symbols could not be read: "
            f"{workspace.market_watch.file_problem}"
        )
    ready = _quotes_shown(window)
    ready.add_done_callback(
        lambda done: _log.info("ready %.3f s after start", done.result() - started)
    )
    ready.add_done_callback(_settle)
    if workspace.desk.restart_review():
        # Each difference, and each fill made while down, is a line the trader decides.
        if workspace.unclean is not None:
            window.report(
                f"LiveTrader did not stop cleanly last time (the run started "
                f"{workspace.unclean.at:%Y-%m-%d %H:%M} UTC recorded no stop); the sessions "
                "came back paused: decide what the restart found in the review"
            )
        window.open_restart_review()
    elif workspace.unclean is not None:
        window.tell_unclean_shutdown(f"{workspace.unclean.at:%Y-%m-%d %H:%M} UTC", differences)
    elif differences:
        more = f" (and {len(differences) - 1} more, in the log)" if len(differences) > 1 else ""
        window.report(
            f"After the restart the broker differs from the records: {differences[0]}{more}. "
            "The sessions stay paused until you have checked."
        )
    _close_on_termination(window)  # before "ready": a ready app can be stopped in order
    _log.info("LiveTrader ready (database %s)", workspace.database_info.url)
    _log_formula_path()
    code = EXIT_OK
    try:
        if settings.smoke_test:
            await asyncio.sleep(settings.smoke_seconds)
            ready_at = ready.result() if ready.done() else None
            code = _finish_smoke_test(settings, window, workspace, started, first_paint, ready_at)
            window.quit_now()  # the way out of a trader closing the window, without asking
        await closed.wait()
    finally:
        await workspace.shutdown()
        window.close()
    _log.info("LiveTrader stopped")
    return code


def _settle(_: object) -> None:
    """Freeze what start-up made, once the trader sees quotes (see ``collector``)."""
    began = time.perf_counter()
    frozen = settle_heap()
    _log.info(
        "start-up heap settled: %d objects frozen in %.3f s", frozen, time.perf_counter() - began
    )


def _show_unexpected_errors(window: object, log_file: str) -> None:
    """Send what escapes every handler to the log and to a dialog: never a silent death."""
    from livetrader_gui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        _log_unhandled(kind, error, trace)
        window.show_unexpected(error, log_file)

    def loop_hook(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        _on_loop_exception(loop, context)
        error = context.get("exception")
        if isinstance(error, BaseException):
            window.show_unexpected(error, log_file)

    sys.excepthook = hook
    asyncio.get_running_loop().set_exception_handler(loop_hook)


def _first_paint(window: object) -> asyncio.Future[float]:
    """Return a future set to ``perf_counter()`` once *window* has painted for the first time."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    assert isinstance(window, QObject)
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                # A zero timer fires after the whole window's paint, not before its first child.
                QTimer.singleShot(0, self._painted)
            return False

        def _painted(self) -> None:
            if not future.done():
                future.set_result(time.perf_counter())

    watch = PaintWatch(window)
    window.installEventFilter(watch)
    return future


def _quotes_shown(window: object) -> asyncio.Future[float]:
    """Return a future set to ``perf_counter()`` once the market watch shows quotes.

    Called once the trading controls are enabled: from then on, a trader can trade.
    """
    from livetrader_gui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    assert window.quote_model is not None
    model = window.quote_model
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def check(*_: object) -> None:
        if model.rowCount() and not future.done():
            future.set_result(time.perf_counter())
            model.rowsInserted.disconnect(check)

    model.rowsInserted.connect(check)
    check()
    return future


def _close_on_termination(window: object) -> None:
    """Make Ctrl+C and SIGTERM close the window, which shuts down in order."""
    from PySide6.QtCore import QTimer

    from livetrader_gui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)

    def request_close(signum: int, _frame: object) -> None:
        _log.info("signal %d received: closing", signum)
        QTimer.singleShot(0, window.quit_now)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_close)
    # Python runs signal handlers only between bytecodes; a cheap timer gives it the chance
    # while Qt's loop is idle.
    heartbeat = QTimer(window)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)


def _log_formula_path() -> None:
    from livetrader_gui.processing.native import STREAM_KIND, STREAM_NOTE

    # A pure Python fallback still trades correctly, only slower: a note, not a warning.
    _log.info("formula path: %s (%s)", STREAM_KIND, STREAM_NOTE)


ENGINE_CHECK_RULE = "crossover(ema(close, 5), sma(close, 20)) or rsi(close, 14) > 70"


def engine_check() -> int:
    """Return on how many of 120 made-up bars a rule of five indicators holds.

    The series is a formula, not random data, so the figure is the same wherever it runs: the
    packaging test compares the bundle's answer (its own TA-Lib) with the one of the environment.
    """
    import pandas as pd

    from livetrader_gui.processing import ProcessingEngine

    close = [100 + 8 * math.sin(i / 4) + 0.05 * i for i in range(120)]
    frame = pd.DataFrame(
        {
            "open": close,
            "high": [c + 1 for c in close],
            "low": [c - 1 for c in close],
            "close": close,
            "volume": [1000.0] * len(close),
        }
    )
    return int(ProcessingEngine().evaluate_formula(ENGINE_CHECK_RULE, frame).sum())


def _finish_smoke_test(
    settings: AppSettings,
    window: object,
    workspace: object,
    started: float,
    first_paint: float | None,
    ready: float | None,
) -> int:
    from livetrader_gui.app.bootstrap import Workspace
    from livetrader_gui.processing.native import STREAM_KIND
    from livetrader_gui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    assert isinstance(workspace, Workspace)
    rows = window.quote_model.rowCount() if window.quote_model else 0

    def seconds(moment: float | None) -> float | None:
        return None if moment is None else round(moment - started, 3)

    def epoch(moment: float | None) -> float | None:
        # perf_counter() readings; the epoch lets a parent process compare with its own clock
        return None if moment is None else time.time() - (time.perf_counter() - moment)

    report: dict[str, object] = {
        "status": "ok",
        "data_dir": str(settings.data_dir),
        "database": str(workspace.database_info.path or workspace.database_info.url),
        "schema_revision": workspace.database_info.revision_after,
        "database_created": workspace.database_info.created,
        "quote_rows": rows,
        # The parts a bundle could lose without failing to start: the calendars' data and
        # TA-Lib's compiled library, each giving an answer that can be checked elsewhere.
        "calendar": workspace.calendar.code,
        # 2026 lies inside every calendar the app builds, whatever today's date: they reach
        # back to the demo's history (late 2025) and a year ahead (exchange_calendars' default).
        "calendar_sessions_2026": len(
            workspace.calendar.sessions_between(date(2026, 1, 1), date(2026, 12, 31))
        ),
        "engine_check": engine_check(),
        # "compiled" where packaging/native.py built the per-tick path and the bundle kept it.
        "formula_path": STREAM_KIND,
        # Drawn, not only named: a bundle without Qt's SVG support would have an empty icon.
        "window_icon": not window.windowIcon().pixmap(32, 32).isNull(),
        # From entering main(); bench/cold_start.py adds the interpreter's own start-up.
        "first_paint_seconds": seconds(first_paint),
        "first_paint_at": epoch(first_paint),
        # Trading controls enabled and quotes in the market watch (None: not within the test).
        "ready_seconds": seconds(ready),
        "ready_at": epoch(ready),
        # The collector's pace, and the start-up heap frozen once quotes were on screen.
        "collector_threshold": gc.get_threshold()[0],
        "heap_settled": gc.get_freeze_count() > 0,
        "screenshot": None,
    }
    if settings.screenshot is not None:
        settings.screenshot.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(settings.screenshot), "PNG"):
            print(
                f"livetrader-gui: could not write the screenshot {settings.screenshot}",
                file=sys.stderr,
            )
            return EXIT_STARTUP
        report["screenshot"] = str(settings.screenshot)
    print(json.dumps(report))
    return EXIT_OK
