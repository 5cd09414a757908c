"""Cold start: from starting the process to the first painted window, and to a usable one.

The app is started as a trader starts it (the ``livetrader-gui`` command of this environment),
offscreen, with ``--smoke-test``. Its report carries the wall-clock moments its window first
painted (``first_paint_at``) and became ready (``ready_at``: trading controls enabled and quotes
in the market watch); each figure is the time from just before the process was spawned.

- A relaunch: one data folder kept for every run, after a first run that is not counted (it
  warms bytecode and the OS's file cache, and creates the database and the demo).
- A first launch: a new data folder and a new cache folder (``XDG_CACHE_HOME``) for every run,
  as on a machine where LiveTrader never ran; only the OS's file cache is warm.

One JSON line is printed; ``goals_met`` says whether the medians met the goals (first paint
0.5 s, ready 1.5 s on a relaunch and 3 s on a first launch, issues 5 and 20). ``--command``
times another build of the app, such as the PyInstaller bundle (``packaging/build.py`` does).

Usage: ``python bench/cold_start.py [--runs N] [--first-runs N] [--command EXECUTABLE]
[--goal SECONDS] [--ready-goal SECONDS] [--first-ready-goal SECONDS]``
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
READY_GOAL_SECONDS = 1.5
FIRST_READY_GOAL_SECONDS = 3.0


def command() -> list[str]:
    """Return the command a trader runs: the console script beside this Python, if installed."""
    script = Path(sys.executable).with_name("livetrader-gui")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "livetrader_gui"]


def one_start(data_dir: Path, app: list[str], cache: Path | None = None) -> tuple[float, float]:
    """Start *app* once; return the seconds from spawning it to its first paint and to ready."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
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
    if report.get("ready_at") is None:
        raise SystemExit("the app did not become ready within its smoke test")
    return float(report["first_paint_at"]) - spawned, float(report["ready_at"]) - spawned


def spread(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median": round(statistics.median(ordered), 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted relaunches (default 5)")
    parser.add_argument("--first-runs", type=int, default=3, help="first launches (default 3)")
    parser.add_argument("--command", help="the executable to start (default: this environment's)")
    parser.add_argument("--goal", type=float, default=GOAL_SECONDS, help="first paint, seconds")
    parser.add_argument("--ready-goal", type=float, default=READY_GOAL_SECONDS)
    parser.add_argument("--first-ready-goal", type=float, default=FIRST_READY_GOAL_SECONDS)
    args = parser.parse_args()
    app = [args.command] if args.command else command()
    with tempfile.TemporaryDirectory(prefix="livetrader-cold-start-") as folder:
        root = Path(folder)
        warm_up, _ = one_start(root / "kept", app, root / "kept-cache")
        relaunches = [one_start(root / "kept", app, root / "kept-cache") for _ in range(args.runs)]
        firsts = [
            one_start(root / f"new-{i}", app, root / f"new-cache-{i}")
            for i in range(args.first_runs)
        ]
    paint, ready = spread([p for p, _ in relaunches]), spread([r for _, r in relaunches])
    report: dict[str, object] = {
        "bench": "cold_start",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "command": " ".join(Path(part).name for part in app),
        "runs": args.runs,
        "first_runs": args.first_runs,
        "warm_up_run_s": round(warm_up, 3),
        "first_paint_s": paint,
        "ready_s": ready,
        "goal_s": args.goal,
        "ready_goal_s": args.ready_goal,
        "goals_met": paint["median"] <= args.goal and ready["median"] <= args.ready_goal,
    }
    if firsts:
        first_ready = spread([r for _, r in firsts])
        report["first_launch_first_paint_s"] = spread([p for p, _ in firsts])
        report["first_launch_ready_s"] = first_ready
        report["first_launch_ready_goal_s"] = args.first_ready_goal
        report["goals_met"] = bool(report["goals_met"]) and (
            first_ready["median"] <= args.first_ready_goal
        )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
