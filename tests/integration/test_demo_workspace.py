"""First launch: the demo workspace's evidence is really produced, and the gate reads it."""

from __future__ import annotations

from pathlib import Path

from livetrader_gui.app.bootstrap import build_workspace
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.domain import PrerequisiteKind, SessionStatus


async def test_a_first_launch_prepares_one_strategy_that_passes_the_gate_and_one_that_does_not(
    tmp_path: Path,
) -> None:
    settings = parse_settings(["--data-dir", str(tmp_path)], {})
    workspace = await build_workspace(settings, ObserverHub())
    told: list[str] = []
    try:
        await workspace.start(told.append)
        assert workspace.demo is not None
        await workspace.demo

        saved = {s.id: s for s in await workspace.desk.strategies()}
        assert sorted(saved) == ["demo-gap-fill", "demo-sma-crossover"]
        gap_fill, crossover = saved["demo-gap-fill"], saved["demo-sma-crossover"]
        passing = await workspace.desk.check_prerequisites(gap_fill, "SIM")
        failing = await workspace.desk.check_prerequisites(crossover, "SIM")

        # The figures come from the backtester and the paper runner on SIM, seed 7.
        assert passing.all_passed, passing.failed_checks
        assert passing.backtest_sharpe is not None
        assert passing.backtest_sharpe >= 1
        assert passing.paper_trading_days == 5
        assert not failing.all_passed
        assert {i.kind for i in failing.failed_checks} == {
            PrerequisiteKind.BACKTEST,
            PrerequisiteKind.PAPER_TRADING,
        }
        assert failing.backtest_sharpe is not None
        assert failing.backtest_sharpe < 0
        # The paper session that produced the days is kept, stopped, as its record.
        [paper] = await workspace.sessions.list_by_status(SessionStatus.STOPPED)
        assert paper.is_paper
        assert paper.strategy.id == gap_fill.id
        assert not workspace.desk.sessions()  # nothing of the demo's history keeps running
        assert told[-1].startswith("Demo ready: Gap fill (demo) has passed the go-live checks")
        assert any("paper-trading Gap fill (demo), day 5 of 5" in m for m in told)
    finally:
        await workspace.shutdown()

    again = await build_workspace(settings, ObserverHub())
    try:
        await again.start()
        assert again.demo is None  # a second launch keeps what is there
    finally:
        await again.shutdown()


async def test_closing_the_app_while_the_demo_is_prepared_saves_no_half_demo(
    tmp_path: Path,
) -> None:
    settings = parse_settings(["--data-dir", str(tmp_path)], {})
    workspace = await build_workspace(settings, ObserverHub())
    await workspace.start()
    await workspace.shutdown()  # at once: the demo is still backtesting

    again = await build_workspace(settings, ObserverHub())
    try:
        await again.start()
        assert again.demo is not None  # prepared again from the start
        again.demo.cancel()
    finally:
        await again.shutdown()
