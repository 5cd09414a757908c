"""One copy of the app per data folder: a second copy refuses to start and says which process
holds the folder; a copy that was killed leaves no hold, so the restart after a crash starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from livetrader_gui.app.instance import LOCK_FILE, hold_data_folder
from livetrader_gui.app.main import EXIT_IN_USE
from tests.smoke import ROOT, run_app

HOLD = "from pathlib import Path; import sys, time; from livetrader_gui.app.instance import " \
    "hold_data_folder; lock = hold_data_folder(Path(sys.argv[1])); print('held', flush=True); " \
    "time.sleep(600)"  # fmt: skip


def test_a_second_copy_on_the_same_folder_refuses_to_start_and_names_the_first(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    held = hold_data_folder(folder)  # this process is the first copy
    try:
        run = run_app("--smoke-test", "--data-dir", str(folder), timeout=120)
    finally:
        held.unlock()

    assert run.returncode == EXIT_IN_USE
    said = [line for line in run.stderr.splitlines() if line.startswith("livetrader-gui:")]
    assert said == [
        f"livetrader-gui: another LiveTrader (process {os.getpid()} on {os.uname().nodename}) "
        f"is using the data folder {folder}: close it first, or give this one another folder "
        "with --data-dir"
    ]
    assert "Traceback" not in run.stderr
    assert not (folder / "livetrader.db").exists(), "it touched nothing"


def test_the_hold_of_a_copy_that_was_killed_is_taken_over_at_the_restart(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert holder.stdout is not None
    with holder.stdout:
        assert holder.stdout.readline().strip() == b"held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (folder / LOCK_FILE).exists(), "a killed copy leaves its lock file"

    run = run_app("--smoke-test", "--data-dir", str(folder), timeout=180)

    assert run.returncode == 0, run.stderr
    assert not (folder / LOCK_FILE).exists(), "the copy that stopped let the folder go"
