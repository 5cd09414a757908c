"""Run the app's smoke test, from the source tree or from the bundle, and check what it shows."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import exchange_calendars as xcals

from livetrader_gui.adapters.persistence.database import head_revision
from livetrader_gui.app.collector import YOUNG_THRESHOLD
from livetrader_gui.app.main import engine_check
from livetrader_gui.processing.native import STREAM_KIND

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SOURCE = (sys.executable, "-m", "livetrader_gui")


def run_app(
    *args: str,
    command: Sequence[str] = SOURCE,
    timeout: float = 180,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run *command* (the app of this environment by default) offscreen with *args* in *cwd*."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )


def check_smoke_run(
    result: subprocess.CompletedProcess[str], data: Path, shot: Path
) -> dict[str, object]:
    """Assert that a ``--smoke-test --screenshot`` run on the fresh folder *data* went well.

    Exit 0, the database created and migrated to the head of this checkout, quotes on screen,
    a drawn window icon, the calendars' data, TA-Lib and the formula path giving this environment's
    answers (what a bundle could lose without failing to start), a 1280×800 PNG, the start and the
    stop in the audit journal, a log. Return the run's JSON report for further checks.
    """
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok"
    assert report["database_created"] is True
    assert report["schema_revision"] == head_revision()
    assert report["quote_rows"] == 6, "the simulated market's quotes reached the window"
    assert report["window_icon"] is True
    assert report["calendar"] == "XKRX"
    assert report["calendar_sessions_2026"] == len(
        xcals.get_calendar("XKRX").sessions_in_range("2026-01-01", "2026-12-31")
    )
    assert report["engine_check"] == engine_check() > 0
    assert report["formula_path"] == STREAM_KIND, "the compiled per-tick path was lost"
    assert report["collector_threshold"] == YOUNG_THRESHOLD
    assert report["heap_settled"] is True, "start-up's heap was not frozen once quotes showed"
    assert isinstance(report["first_paint_seconds"], float)
    assert 0 < report["first_paint_seconds"] < 60
    assert isinstance(report["first_paint_at"], float)
    assert report["first_paint_at"] > 0
    # Trading controls enabled and quotes shown: after the first paint, within the test.
    assert isinstance(report["ready_seconds"], float)
    assert report["first_paint_seconds"] <= report["ready_seconds"] < 60
    assert isinstance(report["ready_at"], float)
    assert report["ready_at"] >= report["first_paint_at"]
    assert report["screenshot"] == str(shot)
    header = shot.read_bytes()[:24]
    assert header[:8] == PNG_MAGIC
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == (1280, 800)
    with sqlite3.connect(data / "livetrader.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )
        kinds = [row[0] for row in conn.execute("SELECT kind FROM audit_journal ORDER BY seq")]
    # In between, the demo workspace (a first launch) may have begun its paper run.
    assert kinds[0] == "app_started"
    assert kinds[-1] == "app_stopped"
    assert (data / "logs" / "livetrader.log").is_file()
    return report
