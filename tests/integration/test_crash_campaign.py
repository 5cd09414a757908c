"""The crash campaign's short run: the app's own process, killed by SIGKILL five times at
random and once at each kill point of the order path, against a local Upbit in another
process; nothing is doubled, lost or left different (``bench/crash_campaign.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.timeout(900)
def test_five_random_kills_and_one_at_each_kill_point_double_lose_and_change_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "campaign"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crash_campaign.py"), "--kills", "5",
         "--seed", "5", "--keep", str(folder)],
        capture_output=True, text=True, timeout=880, cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["kill_points_reached"] == {"persisted": True, "sent": True, "fill_seen": True}
    assert report["kills"] == 8
    assert report["venue_orders"] >= 3, "orders reached the venue"
    assert report["venue_fills"] > 0
    assert report["duplicates"] == 0, report["mismatch_details"]
    assert report["orphans"] == 0, report["mismatch_details"]
    assert report["lost_fills"] == 0, report["mismatch_details"]
    assert report["phantom_fills"] == 0, report["mismatch_details"]
    assert report["position_mismatches"] == 0, report["mismatch_details"]
    assert report["oversold"] == 0, report["mismatch_details"]
    assert report["sells_refused_for_want_of_coin"] == 0
    assert report["problems"] == []
    assert report["goals_met"] is True
    assert report["database_fills"] == report["venue_fills"]
