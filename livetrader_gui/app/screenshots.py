"""``make screenshots``: draw the window offscreen on the demo workspace and save it as PNGs.

A fresh temporary data folder is used, so the demo is prepared exactly as on a first launch
(its evidence really produced on SIM); then the demo's passing strategy is started as a paper
session on the simulated market, run 60 times faster than real time so its chart fills, and the
main window (at 1280×800, the smallest screen it is made for), the go-live wizard and the strategy
editor are saved into the folder given, each in the light theme and in the dark one
(``*-dark.png``).

Usage: ``python -m livetrader_gui.app.screenshots docs/screenshots``
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

RUN_SECONDS = 8.0  # of real time, at 60× market speed: about eight minutes of candles


async def _shoot(folder: Path) -> list[Path]:
    from livetrader_gui.app.bootstrap import build_workspace
    from livetrader_gui.app.settings import parse_settings
    from livetrader_gui.application.live_trading.config import LiveSessionConfig
    from livetrader_gui.application.observers import ObserverHub
    from livetrader_gui.ui.main_window import MainWindow
    from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
    from livetrader_gui.ui.theme import Theme

    data = Path(tempfile.mkdtemp(prefix="livetrader-screenshots-"))
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
        window.set_theme(Theme.LIGHT)
    finally:
        await window.commands.wait()
        await workspace.shutdown()
        window.quit_now()
    return saved


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
