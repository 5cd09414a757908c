"""PySide6 regression guard (STACK.md): 6.12.0 on Python 3.11 aborts after a few thousand queued
signal deliveries. The stress runs in a subprocess so that an abort fails this test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

SCRIPT = Path(__file__).with_name("bridge_stress.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_hundred_thousand_queued_signals_pass_through_the_bridge_without_a_crash() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "100000"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
        check=False,
    )
    detail = f"{result.stdout}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, (
        f"PySide6 {PySide6.__version__}: exit {result.returncode}\n{detail}"
    )
    assert "received 200000 of 200000" in result.stdout


def test_the_pinned_pyside6_is_not_the_release_that_aborts_on_python_311() -> None:
    major_minor = tuple(int(p) for p in PySide6.__version__.split(".")[:2])
    assert (6, 10) <= major_minor < (6, 12), PySide6.__version__
