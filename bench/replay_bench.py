"""Replay and backtest speed: a year of 1-minute candles for 5 KRX symbols, both commands.

A candle file is generated for every minute of every XKRX session of 2025 (about 94,000
minutes, 470,000 rows for 5 symbols): a random walk on 100-won steps, seeded. The strategy is
the demo's SMA crossover with an RSI filter, a stop-loss, a take-profit and the daily loss
limit, so that each rule is exercised. Each command then runs as a trader runs it, in its own
process (``python -m livetrader_gui replay|backtest``); the backtest checks stops on closes, as
the replay does, so that both must end with the same equity. The calendar is built once first
and kept on disk, as from a trader's second run.

One JSON line is printed: for each command the median wall time of ``--repeat`` runs (and each
run's), candles per second at the median and the peak RSS;
the backtest's speed-up over the replay; whether both ended with the same equity. Goals (issue
19): replay at least 10,000 candles/s with a peak RSS of at most 400 MB; the backtest at least
10 times the replay's rate, on the same file in the same run.

Usage: ``python bench/replay_bench.py [--days N] [--seed 1] [--repeat 3] [--keep FOLDER]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from livetrader_gui.app.calendars import calendar_provider  # noqa: E402

SYMBOLS = ("005930", "000660", "035420", "005380", "051910")
REPLAY_GOAL = 10_000.0  # candles per second
RSS_GOAL_MB = 400.0
SPEED_UP_GOAL = 10.0
STRATEGY = f"""\
name = "SMA crossover (benchmark)"
symbols = {json.dumps(list(SYMBOLS))}
exchange = "XKRX"
entry_rule = "crossover(sma(close, 10), sma(close, 30)) and rsi(close, 14) < 70"
exit_rule = "crossunder(sma(close, 10), sma(close, 30))"

[risk]
max_positions = 3
max_position_size_pct = 30
max_daily_loss_pct = 3
stop_loss_pct = 1.5
take_profit_pct = 3

[sizing]
position_pct = 20
"""


def write_candles(path: Path, days: int, seed: int) -> int:
    """Write *days* sessions of 2025 (all of them when 0); return the rows written."""
    calendar = calendar_provider(date(2024, 1, 1), date(2025, 12, 31)).load("XKRX")
    sessions = calendar.sessions_between(date(2025, 1, 1), date(2025, 12, 31))
    sessions = sessions[:days] if days else sessions
    starts = pd.DatetimeIndex(
        np.concatenate(
            [
                pd.date_range(*calendar.session_bounds(day), freq="1min", inclusive="left")
                .as_unit("ns")
                .asi8
                for day in sessions
            ]
        ),
        tz="UTC",
    )
    stamps = starts.tz_convert("Asia/Seoul").strftime("%Y-%m-%dT%H:%M:%S+09:00")
    random = np.random.default_rng(seed)
    frames = []
    for symbol in SYMBOLS:
        steps = random.integers(-3, 4, len(starts)) * 100
        # Kept between 60,000 and 190,000 won (one tick size, 100 won) by reflecting the walk.
        walk = np.abs((random.integers(600, 1900) * 100 - 60_000 + np.cumsum(steps)) % 260_000)
        close = 60_000 + np.where(walk > 130_000, 260_000 - walk, walk)
        opening = np.concatenate(([close[0]], close[:-1]))
        high = np.maximum(opening, close) + 100 * random.integers(0, 3, len(starts))
        low = np.minimum(opening, close) - 100 * random.integers(0, 3, len(starts))
        volume = random.integers(100, 5_000, len(starts))
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": stamps,
                    "symbol": symbol,
                    "open": opening,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": volume,
                }
            )
        )
    table = pd.concat(frames).sort_values("timestamp", kind="stable")
    table.to_csv(path, index=False)
    return len(table)


def run(command: str, folder: Path, rows: int, repeat: int, *extra: str) -> dict[str, object]:
    """Run one command *repeat* times, each in its own process; return the median time (this
    machine's speed varies by a fifth from one minute to the next), the rate at that time, the
    peak RSS and the last line."""
    runs = [_run_once(command, folder, rows, *extra) for _ in range(repeat)]
    seconds = sorted(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
    median = seconds[len(seconds) // 2]
    return {
        **runs[0],
        "seconds": median,
        "seconds_each": [r["seconds"] for r in runs],
        "candles_per_second": round(rows / median),
        "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in runs),  # type: ignore[arg-type]
    }


def _run_once(command: str, folder: Path, rows: int, *extra: str) -> dict[str, object]:
    out = folder / f"{command}.jsonl"
    arguments = [sys.executable, "-m", "livetrader_gui", command, "--strategy",
                 str(folder / "strategy.toml"), "--candles", str(folder / "candles.csv"),
                 "--out", str(out), "--force", *extra]  # fmt: skip
    began = time.perf_counter()
    process = subprocess.Popen(
        arguments, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # wait4 reports this child's own peak RSS (getrusage would give the largest child's).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    assert process.stderr is not None
    error = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed: {error}")
    summary = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    return {
        "seconds": round(seconds, 2),
        "candles_per_second": round(rows / seconds),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "equity": summary["equity"],
        "lines": len(out.read_text(encoding="utf-8").splitlines()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=0, help="sessions of 2025 (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "strategy.toml").write_text(STRATEGY, encoding="utf-8")
        rows = write_candles(folder / "candles.csv", args.days, args.seed)
        replay = run("replay", folder, rows, args.repeat)
        backtest = run("backtest", folder, rows, args.repeat, "--exits", "close")
    speed_up = float(backtest["candles_per_second"]) / float(replay["candles_per_second"])  # type: ignore[arg-type]
    goals = {
        "replay_rate": float(replay["candles_per_second"]) >= REPLAY_GOAL,  # type: ignore[arg-type]
        "replay_rss": float(replay["peak_rss_mb"]) <= RSS_GOAL_MB,  # type: ignore[arg-type]
        "backtest_speed_up": speed_up >= SPEED_UP_GOAL,
    }
    report = {
        "benchmark": "replay",
        "rows": rows,
        "symbols": len(SYMBOLS),
        "minutes": rows // len(SYMBOLS),
        "replay": replay,
        "backtest": backtest,
        "backtest_speed_up": round(speed_up, 2),
        "same_equity": replay["equity"] == backtest["equity"],
        "goals": goals,
        "goals_met": all(goals.values()),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
