"""Cold start: from starting the process to the first painted main window.

The app is started as a trader starts it (the ``livetrader-gui`` command of this environment),
offscreen, with ``--smoke-test`` on one data folder kept for every run; its report carries the
wall-clock moment its window first painted (``first_paint_at``), and the time from just before
the process was spawned to that moment is the figure. A first run warms the caches (bytecode,
the OS's file cache, the database created and migrated) and is not counted: issue 5's goal is a
warm start. The time to "ready" (storage, calendars and brokers up) comes after the first
paint and is not part of this figure.

One JSON line is printed; ``goals_met`` says whether the median met the goal (issue 5's 0.5 s by
default). ``--command`` times another build of the app, such as the PyInstaller bundle
(``packaging/build.py`` does, against the bundle's goal of 1.5 s).

Usage: ``python bench/cold_start.py [--runs N] [--command EXECUTABLE] [--goal SECONDS]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 0.5


def command() -> list[str]:
    """Return the command a trader runs: the console script beside this Python, if installed."""
    script = Path(sys.executable).with_name("livetrader-gui")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "livetrader_gui"]


def one_start(data_dir: Path, app: list[str]) -> float:
    """Start *app* once; return the seconds from spawning it to its first painted window."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    spawned = time.time()
    result = subprocess.run(
        [*app, "--smoke-test", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the app failed (exit {result.returncode}):\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report.get("first_paint_at") is None:
        raise SystemExit("the app's window did not paint within its smoke test")
    return float(report["first_paint_at"]) - spawned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted starts (default 5)")
    parser.add_argument("--command", help="the executable to start (default: this environment's)")
    parser.add_argument("--goal", type=float, default=GOAL_SECONDS, help="seconds (default 0.5)")
    args = parser.parse_args()
    app = [args.command] if args.command else command()
    with tempfile.TemporaryDirectory(prefix="livetrader-cold-start-") as folder:
        data_dir = Path(folder)
        warm_up = one_start(data_dir, app)
        times = sorted(one_start(data_dir, app) for _ in range(args.runs))
    median = statistics.median(times)
    print(
        json.dumps(
            {
                "bench": "cold_start",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "command": " ".join(Path(part).name for part in app),
                "runs": args.runs,
                "warm_up_run_s": round(warm_up, 3),
                "first_paint_s": {
                    "median": round(median, 3),
                    "min": round(times[0], 3),
                    "max": round(times[-1], 3),
                },
                "goal_s": args.goal,
                "goals_met": median <= args.goal,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
