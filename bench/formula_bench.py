"""Formula evaluation speed: naive pandas recompute vs the engine's full and incremental paths.

For each formula, a random-walk candle history is walked bar by bar. On every bar the three paths
decide the rule for the newest candle of a 100-candle window:

* naive — the seed's way: the window as a list of dicts → ``pandas.DataFrame`` → pandas rolling;
* full — :meth:`CompiledFormula.evaluate` over the window's float64 columns (TA-Lib);
* incremental — :meth:`FormulaStream.update` with the one new candle (the compiled build when
  there is one; the JSON says which).

The answers are asserted identical on every bar, then each path is timed on the same bars
(best of several rounds, so that a noisy neighbour does not decide the figure). One JSON line is
printed. Formulas use window indicators only, so a 100-candle window holds all they need and
the three paths must agree exactly.

Usage: ``python bench/formula_bench.py [--bars N] [--rounds R]``
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.native import STREAM, STREAM_KIND
from livetrader_gui.processing.stream import FormulaStream

WINDOW = 100
GOAL_FULL = 100.0
GOAL_INCREMENTAL = 1000.0
INCREMENTAL_REPEATS = 5  # one pass takes milliseconds: repeat it so the clock's noise stays small
COLUMNS = ("open", "high", "low", "close", "volume")

Naive = Callable[[pd.DataFrame], bool]

# Each formula with the pandas code a trader would write for it.
FORMULAS: dict[str, Naive] = {
    "close > sma(close, 20)": lambda df: bool(
        (df["close"] > df["close"].rolling(20).mean()).iloc[-1]
    ),
    "close > sma(close, 20) and volume > sma(volume, 20)": lambda df: bool(
        (
            (df["close"] > df["close"].rolling(20).mean())
            & (df["volume"] > df["volume"].rolling(20).mean())
        ).iloc[-1]
    ),
    "crossover(close, sma(close, 20))": lambda df: bool(
        (
            (df["close"] > df["close"].rolling(20).mean())
            & (df["close"].shift(1) <= df["close"].rolling(20).mean().shift(1))
        ).iloc[-1]
    ),
    "close >= highest(close, 20) and volume > sma(volume, 20) and close > sma(close, 50)": (
        lambda df: bool(
            (
                (df["close"] >= df["close"].rolling(20).max())
                & (df["volume"] > df["volume"].rolling(20).mean())
                & (df["close"] > df["close"].rolling(50).mean())
            ).iloc[-1]
        )
    ),
}


def candles(bars: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Return a random walk of 1-minute candles as float64 columns."""
    rng = np.random.default_rng(seed)
    close = 50_000.0 + np.cumsum(rng.normal(0.0, 40.0, bars))
    open_ = close + rng.normal(0.0, 15.0, bars)
    spread = np.abs(rng.normal(0.0, 30.0, bars))
    return {
        "open": open_,
        "high": np.maximum(open_, close) + spread,
        "low": np.minimum(open_, close) - spread,
        "close": close,
        "volume": rng.integers(1_000, 50_000, bars).astype(np.float64),
    }


def rows_of(columns: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """Return the candles as the seed holds them: one dict per candle with symbol and time."""
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    return [
        {
            "symbol": "005930",
            "timestamp": start + timedelta(minutes=i),
            **{name: float(columns[name][i]) for name in COLUMNS},
        }
        for i in range(len(columns["close"]))
    ]


def per_call(function: Callable[[], int]) -> float:
    """Run *function* once and return its time per call (it returns the calls) in microseconds.

    The garbage collector is paused while the clock runs, as :mod:`timeit` does: the candle
    dicts would otherwise trigger collections whose cost depends on what ran before.
    """
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        calls = function()
        return (time.perf_counter() - began) / calls * 1e6
    finally:
        gc.enable()


def measure(
    formula: str, naive: Naive, columns: dict[str, np.ndarray], rounds: int
) -> dict[str, object]:
    engine = ProcessingEngine()
    compiled = engine.compile(formula)
    rows = rows_of(columns)
    bars = len(rows)
    ends = range(WINDOW, bars + 1)

    # The bar-by-bar path the app runs, and the pure Python one beside it when that is compiled.
    streams: dict[str, type[FormulaStream]] = {"incremental": STREAM}
    if STREAM is not FormulaStream:
        streams["pure_python_incremental"] = FormulaStream

    # Identical answers on every bar, checked before anything is timed.
    streamed = {}
    for path, implementation in streams.items():
        stream = compiled.stream(implementation)
        streamed[path] = [stream.update(*(columns[n][i] for n in COLUMNS)) for i in range(bars)]
    for end in ends:
        window = {name: columns[name][end - WINDOW : end] for name in COLUMNS}
        expected = naive(pd.DataFrame(rows[end - WINDOW : end]))
        full = bool(compiled.evaluate(window)[-1])
        answers = {path: answers[end - 1] for path, answers in streamed.items()}
        if not expected == full or any(answer != expected for answer in answers.values()):
            raise AssertionError(
                f"{formula!r} disagrees on bar {end - 1}: naive {expected}, full {full}, {answers}"
            )

    naive_ends = ends[:: max(1, len(ends) // 200)]  # pandas is slow: 200 windows suffice

    def run_naive() -> int:
        for end in naive_ends:
            naive(pd.DataFrame(rows[end - WINDOW : end]))
        return len(naive_ends)

    windows = [{name: columns[name][end - WINDOW : end] for name in COLUMNS} for end in ends]

    def run_full() -> int:
        evaluate = compiled.evaluate
        for window in windows:
            evaluate(window)
        return len(windows)

    bar_tuples = [tuple(float(columns[n][i]) for n in COLUMNS) for i in range(bars)]

    def incremental(implementation: type[FormulaStream]) -> Callable[[], int]:
        def run() -> int:
            for _ in range(INCREMENTAL_REPEATS):
                update = compiled.stream(implementation).update
                for bar in bar_tuples:
                    update(*bar)
            return len(bar_tuples) * INCREMENTAL_REPEATS

        return run

    # Rounds alternate between the paths so that a slow spell of the machine hits all of them.
    runs = {
        "naive": run_naive,
        "full": run_full,
        **{path: incremental(implementation) for path, implementation in streams.items()},
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            best[name] = min(best[name], per_call(run))
    naive_us = best["naive"]
    result: dict[str, object] = {
        "formula": formula,
        "bars_checked": len(ends),
        "identical": True,
        "naive_us": round(naive_us, 2),
        "full_us": round(best["full"], 2),
        "full_speedup": round(naive_us / best["full"], 1),
    }
    for path in streams:
        result[f"{path}_us"] = round(best[path], 3)
        result[f"{path}_speedup"] = round(naive_us / best[path], 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    columns = candles(args.bars)
    results = [measure(f, naive, columns, args.rounds) for f, naive in FORMULAS.items()]
    goals_met = all(
        r["full_speedup"] >= GOAL_FULL and r["incremental_speedup"] >= GOAL_INCREMENTAL  # type: ignore[operator]
        for r in results
    )
    print(
        json.dumps(
            {
                "benchmark": "formula",
                "window": WINDOW,
                "python": platform.python_version(),
                # "compiled" (packaging/native.py, built by make) or "python" (the fallback);
                # with "compiled", pure_python_incremental_* time the pure modules beside it.
                "incremental_path": STREAM_KIND,
                "goal_full_speedup": GOAL_FULL,
                "goal_incremental_speedup": GOAL_INCREMENTAL,
                "goals_met": goals_met,
                "results": results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
