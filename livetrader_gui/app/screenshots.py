"""``make screenshots``: draw the window offscreen on the demo workspace and save it as PNGs.

A fresh temporary data folder is used, so the demo is prepared exactly as on a first launch
(its evidence really produced on SIM); then the demo's passing strategy is started as a paper
session on the simulated market, run 60 times faster than real time so its chart fills, and the
main window (at 1280×800, the smallest screen it is made for), the go-live wizard, the strategy
editor, the Brokers dialog (testing a connection to the local Upbit, ``tests/venues``) and the
main window watching three of the local Upbit's coins are saved into the folder given, each in
the light theme and in the dark one (``*-dark.png``).

Usage: ``python -m livetrader_gui.app.screenshots docs/screenshots``
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RUN_SECONDS = 8.0  # of real time, at 60× market speed: about eight minutes of candles
WATCH_SECONDS = 3.0  # of real time for the local Upbit's quotes to reach the market watch
LOCAL_UPBIT_SECRET = "screenshot-secret"  # the local Upbit's, shown as dots
CHECKOUT = Path(__file__).resolve().parents[2]  # a source checkout has tests/venues here


async def _shoot(folder: Path) -> list[Path]:
    from livetrader_gui.app.bootstrap import build_workspace
    from livetrader_gui.app.settings import parse_settings
    from livetrader_gui.application.live_trading.config import LiveSessionConfig
    from livetrader_gui.application.observers import ObserverHub
    from livetrader_gui.ui.main_window import MainWindow
    from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
    from livetrader_gui.ui.theme import Theme

    data = Path(tempfile.mkdtemp(prefix="livetrader-screenshots-"))
    venue_process, venue = await _local_upbit(data)
    settings = parse_settings(["--data-dir", str(data), "--sim-speed", "60"], {})
    signals = EngineSignals()
    observers = ObserverHub()
    observers.add(QtSessionObserver(signals))
    window = MainWindow(signals)
    window.resize(1280, 800)
    window.show()
    workspace = await build_workspace(settings, observers)
    saved: list[Path] = []
    try:
        await workspace.start(window.report)
        window.show_workspace(
            workspace.desk,
            workspace.broker.display_name,
            workspace.broker.broker_id,
            {i.symbol: i.name for i in workspace.instruments},
            workspace.calendar.timezone,
            str(workspace.database_info.path),
            connections=workspace.connections,
            board=workspace.market_watch,
        )
        assert workspace.demo is not None
        await workspace.demo
        strategies = {s.id: s for s in await workspace.desk.strategies()}
        gap_fill = strategies["demo-gap-fill"]
        await workspace.desk.start_session(
            LiveSessionConfig(strategy=gap_fill, broker_id="SIM", is_paper=True)
        )
        await asyncio.sleep(RUN_SECONDS)
        for theme in Theme:
            window.set_theme(theme)
            suffix = "-dark" if theme is Theme.DARK else ""
            saved.append(await _save(window, folder / f"main-window{suffix}.png"))

            wizard = window.open_go_live(gap_fill.id)
            assert wizard is not None
            await window.commands.wait()
            wizard.choice.live.setChecked(True)
            wizard.next()
            wizard.next()
            await window.commands.wait()
            saved.append(await _save(wizard, folder / f"go-live-wizard{suffix}.png"))
            wizard.reject()

            editor = window.open_editor()
            assert editor is not None
            await window.commands.wait()
            editor.picker.setCurrentIndex(editor.picker.findData("demo-sma-crossover"))
            editor.entry.setPlainText("crossover(sma(close, 10), smaa(close, 30))")
            editor.entry.validate()
            await window.commands.wait()
            saved.append(await _save(editor, folder / f"strategy-editor{suffix}.png"))
            editor.reject()

            brokers = window.open_brokers()
            assert brokers is not None
            brokers.key.setText("demo-access-key")
            brokers.secret.setText(LOCAL_UPBIT_SECRET)
            if venue is not None:  # a connection test against the local Upbit: its account
                brokers.base_url.setText(venue)
                if brokers.vault.isVisible():  # no keyring here: the encrypted file keeps it
                    brokers.password.setText("screenshot password")
                    brokers.unlock_button.click()
                if theme is Theme.LIGHT:
                    brokers.save_button.click()
                    await window.commands.wait()
                brokers.key.setText("demo-access-key")
                brokers.secret.setText(LOCAL_UPBIT_SECRET)
                brokers.test_button.click()
                await window.commands.wait()
            saved.append(await _save(brokers, folder / f"brokers-dialog{suffix}.png"))
            brokers.reject()
            if venue is not None:
                saved.append(await _watch_upbit(window, theme is Theme.LIGHT, folder, suffix))
        window.set_theme(Theme.LIGHT)
    finally:
        await window.commands.wait()
        await workspace.shutdown()
        if venue_process is not None:
            venue_process.terminate()
            await asyncio.to_thread(venue_process.wait)
        window.quit_now()
    return saved


async def _watch_upbit(window: Any, first: bool, folder: Path, suffix: str) -> Path:
    """Show the market watch on the local Upbit (saved in the Brokers dialog), watching three of
    its coins (added through the search the first time), and save the main window."""
    bar = window.watch_bar
    assert bar is not None
    bar.show_brokers()
    bar.broker.setCurrentIndex(bar.broker.findData("UPBIT"))
    await window.commands.wait()
    if first:
        for symbol in ("KRW-BTC", "KRW-ETH", "KRW-XRP"):
            bar.search.setText(symbol)
            bar.watch_button.click()
            await window.commands.wait()
    await asyncio.sleep(WATCH_SECONDS)  # the venue's websocket brings the quotes
    bar.search.setText("eth")
    shot = await _save(window, folder / f"market-watch-upbit{suffix}.png")
    bar.search.clear()
    bar.broker.setCurrentIndex(bar.broker.findData("SIM"))
    await window.commands.wait()
    return shot


def _has_local_venues(root: Path) -> bool:
    return (root / "tests" / "venues" / "upbit.py").is_file()


async def _local_upbit(data: Path) -> tuple[subprocess.Popen[bytes] | None, str | None]:
    """Start the local Upbit of a source checkout (``tests/venues``) for the Brokers dialog's
    connection test; without one (an installed app), the dialog is shown untested."""
    root = CHECKOUT
    if not _has_local_venues(root):
        return None, None
    # A plain process, not asyncio's: on the Qt event loop (qasync), asyncio's child watcher
    # calls into the loop from its own thread.
    process = subprocess.Popen(  # noqa: ASYNC220 (it starts at once; its line is read off-loop)
        [sys.executable, "-m", "tests.venues", "upbit", "--port", "0", "--key",
         "demo-access-key", "--secret", LOCAL_UPBIT_SECRET, "--krw", "25000000",
         "--state", str(data / "local-upbit.json")],
        cwd=root, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)).decode()
    return process, line.split(" on ")[1].strip()


async def _save(widget: object, path: Path) -> Path:
    from PySide6.QtWidgets import QWidget

    assert isinstance(widget, QWidget)
    # Let Qt lay out and paint through the running loop. Not processEvents(): a nested loop
    # would wake asyncio tasks (the market watch, a broker's worker threads) inside this one.
    await asyncio.sleep(0.2)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    """Save the screenshots into the folder named by the first argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m livetrader_gui.app.screenshots FOLDER", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        saved = loop.run_until_complete(_shoot(Path(args[0])))
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
