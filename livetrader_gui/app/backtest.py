"""``livetrader-gui backtest``: the backtester on recorded candles, from the command line.

It takes the replay's inputs and checks them the same way (``simulation_inputs``), runs the
backtester the go-live gate's evidence comes from, with the exchange's trading hours and the
replay's staleness rule, and writes one JSON object per trade, then a ``summary``. The output is
written whole or not at all. ``--exits close`` checks stop-loss and take-profit on closes and
sells at market, as the replay does; the default, ``range``, checks each candle's low and high.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from livetrader_gui.app.simulation_inputs import (
    REPLAY_STALE_AFTER,
    Progress,
    SimulationInputs,
    add_common_arguments,
    costs_of,
    instrument_of,
    run_command,
)
from livetrader_gui.application.backtesting import trading_hours
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import plain
from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.backtest import (
    BacktestConfig,
    Backtester,
    BacktestOutcome,
    BacktestTrade,
    ExitPrices,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrader-gui backtest",
        description="Backtest a strategy on recorded 1-minute candles.",
    )
    add_common_arguments(parser, "trades and summary to write (JSON lines)")
    parser.add_argument(
        "--exits",
        choices=[kind.value for kind in ExitPrices],
        default=ExitPrices.RANGE.value,
        help="stop-loss and take-profit on each candle's range (default) or on closes, "
        "as the replay",
    )
    return parser


def backtest_main(argv: Sequence[str]) -> int:
    """Run a backtest from the command line; return the exit code."""
    args = _parser().parse_args(list(argv))
    costs = costs_of(args)
    exits = ExitPrices(args.exits)

    def work(inputs: SimulationInputs) -> tuple[list[dict[str, Any]], str]:
        rows = inputs.rows
        progress = Progress("backtest", rows, "candles")
        try:
            outcome = run_backtest(
                inputs,
                args.capital,
                costs,
                exits,
                progress=lambda f: progress.update(int(f * rows)),
            )
        finally:
            progress.close()
        lines = backtest_lines(outcome, args.capital)
        summary = lines[-1]
        return lines, (
            f"backtested {inputs.rows:,} candles: {summary['trades']} closed trades, equity "
            f"{summary['equity']}, total return {summary['total_return']:.4%}; written to "
            f"{args.out}"
        )

    return run_command("backtest", args, work)


def run_backtest(
    inputs: SimulationInputs,
    capital: Decimal,
    costs: TradingCosts,
    exits: ExitPrices = ExitPrices.RANGE,
    *,
    progress: Callable[[float], None] | None = None,
) -> BacktestOutcome:
    """Backtest the checked *inputs* as the replay would trade them (its hours, its staleness)."""
    strategy = inputs.strategy
    frames = {symbol: inputs.candles[symbol].frame() for symbol in strategy.symbols}
    instruments = {s: instrument_of(s, strategy.exchange) for s in strategy.symbols}
    config = BacktestConfig(
        capital,
        costs=costs,
        timezone=inputs.calendar.timezone,
        hours=trading_hours(inputs.calendar),
        exits=exits,
        stale_after=REPLAY_STALE_AFTER,
    )
    return Backtester(ProcessingEngine()).run(
        strategy, frames, instruments, config, progress=progress
    )


def backtest_lines(outcome: BacktestOutcome, capital: Decimal) -> list[dict[str, Any]]:
    """Return the trades, in the order they were entered, then the summary."""
    lines: list[dict[str, Any]] = [_trade(trade) for trade in outcome.trades]
    figures = outcome.figures
    timeline = outcome.equity.index
    lines.append(
        {
            "type": "summary",
            "start": timeline[0].isoformat() if len(timeline) else None,
            "end": timeline[-1].isoformat() if len(timeline) else None,
            "capital": plain(capital),
            "total_return": figures.total_return,
            "cagr": figures.cagr,
            "sharpe": figures.sharpe,
            "sortino": figures.sortino,
            "max_drawdown": figures.max_drawdown,
            "win_rate": figures.win_rate,
            "trades": figures.trades,
            "open_trades": sum(1 for trade in outcome.trades if trade.is_open),
            "exposure": figures.exposure,
            "equity": plain(outcome.final_equity),
            "skipped_entries": dict(sorted(outcome.skipped_entries.items())),
            "simulation": True,
        }
    )
    return lines


def _trade(trade: BacktestTrade) -> dict[str, Any]:
    return {
        "type": "trade",
        "symbol": trade.symbol,
        "entry_ts": trade.entry_time.isoformat(),
        "exit_ts": None if trade.exit_time is None else trade.exit_time.isoformat(),
        "entry_price": plain(trade.entry_price),
        "exit_price": None if trade.exit_price is None else plain(trade.exit_price),
        "quantity": plain(trade.quantity),
        "costs": plain(trade.costs),
        "pnl": plain(trade.pnl),
        "exit_reason": None if trade.exit_reason is None else trade.exit_reason.name.lower(),
    }
