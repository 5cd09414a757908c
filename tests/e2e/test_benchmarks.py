"""The benchmarks run and report every figure (their goals are judged by people, not here).

Speed goals live in ``bench/`` (issue 5), not in timed tests; these short runs only keep the
scripts working as the code under them changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench(script: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.slow
def test_the_gui_load_benchmark_measures_lag_cpu_quotes_on_screen_and_memory() -> None:
    report = bench(
        "gui_load.py",
        *("--symbols", "20", "--rate", "200", "--seconds", "2", "--warm-up", "0.5"),
        *("--candle-every", "1", "--history", "30"),
    )

    assert report["event_loop_lag_ms"]["count"] > 100
    assert report["quote_to_screen_ms"]["count"] > 0
    assert report["quote_to_screen_ms"]["never_painted"] == 0
    assert report["cpu_percent_of_one_core"] > 0
    assert set(report["rss_mib"]) == {"start", "end", "growth"}
    assert report["runner_tick_ms"]["count"] >= 1, "minutes closed during the run"
    assert isinstance(report["goals_met"], bool)


@pytest.mark.slow
def test_the_cold_start_benchmark_times_the_first_paint_and_the_ready_window() -> None:
    report = bench("cold_start.py", "--runs", "1", "--first-runs", "1")

    assert 0 < report["first_paint_s"]["median"] <= report["ready_s"]["median"] < 60
    first_paint, ready = report["first_launch_first_paint_s"], report["first_launch_ready_s"]
    assert 0 < first_paint["median"] <= ready["median"] < 60
    assert (report["ready_goal_s"], report["first_launch_ready_goal_s"]) == (1.5, 3.0)
    assert isinstance(report["goals_met"], bool)


def test_the_formula_benchmark_checks_every_path_against_pandas_and_times_each() -> None:
    from livetrader_gui.processing.native import STREAM_KIND

    report = bench("formula_bench.py", "--bars", "300", "--rounds", "1")

    assert report["incremental_path"] == STREAM_KIND
    assert len(report["results"]) == 4
    paths = ["incremental"] + (["pure_python_incremental"] if STREAM_KIND == "compiled" else [])
    for result in report["results"]:
        assert result["identical"] is True
        assert result["bars_checked"] == 300 - 100 + 1
        for path in ("naive", "full", *paths):
            assert result[f"{path}_us"] > 0, path
        for path in ("full", *paths):
            assert result[f"{path}_speedup"] == pytest.approx(
                result["naive_us"] / result[f"{path}_us"], rel=0.01
            )
    assert isinstance(report["goals_met"], bool)


@pytest.mark.slow
def test_the_soak_benchmark_trades_on_a_fast_market_and_counts_what_went_wrong() -> None:
    report = bench("soak.py", "--seconds", "12", "--warm-up", "4")

    assert report["orders"] > 0
    assert report["fills"] >= report["orders"] - report["stuck_orders"]
    assert report["stuck_orders"] == 0
    assert report["errors"] == 0, report["first_errors"]
    assert set(report["rss_mib"]) == {"warm", "end", "growth"}
    assert isinstance(report["goals_met"], bool)


@pytest.mark.slow
def test_the_replay_benchmark_runs_both_commands_and_they_end_with_the_same_equity() -> None:
    report = bench("replay_bench.py", "--days", "3", "--repeat", "1")

    # 09:00 to 15:30, and 10:00 to 15:30 on 2 January (KRX opens an hour late that day).
    assert report["minutes"] == 330 + 2 * 390
    assert report["rows"] == 5 * report["minutes"]
    for command in ("replay", "backtest"):
        figures = report[command]
        assert figures["candles_per_second"] > 0
        assert figures["peak_rss_mb"] > 0
        assert figures["lines"] > 1
    assert report["same_equity"] is True
    assert report["backtest_speed_up"] > 0
    assert set(report["goals"]) == {"replay_rate", "replay_rss", "backtest_speed_up"}
    assert isinstance(report["goals_met"], bool)
