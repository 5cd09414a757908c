"""The documented build makes a bundle and a release archive, and the bundled app really runs.

The bundle is built once for the module (about one to two and a half minutes) with
``packaging/build.py``, the command behind ``make package``; the app is then started from the
unpacked release archive, as a trader would.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from livetrader_gui import __version__
from tests.smoke import ROOT, check_smoke_run, run_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(sys.platform != "linux", reason="the archive and its checks are Linux's"),
]

NAME = "livetrader-gui"
MIGRATIONS = "_internal/livetrader_gui/adapters/persistence/migrations"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the build with one timed start; return its JSON report."""
    out = tmp_path_factory.mktemp("package")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--dist",
            str(out / "dist"),
            "--work",
            str(out / "work"),
            "--runs",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=840,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def installed(build: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Unpack the release archive in a new folder; return the app's folder."""
    folder = tmp_path_factory.mktemp("install")
    with tarfile.open(str(build["archive"])) as archive:
        archive.extractall(folder, filter="tar")
    return folder / NAME


def test_the_build_reports_the_version_size_and_cold_start_of_the_bundle(
    build: dict[str, object],
) -> None:
    assert build["version"] == __version__
    assert build["platform"] == "linux-" + os.uname().machine.lower()
    assert isinstance(build["bundle_mb"], float)
    assert 50 < build["bundle_mb"] < 1000
    assert isinstance(build["bundle_files"], int)
    assert build["bundle_files"] > 100
    assert Path(str(build["archive"])).name == f"{NAME}-{__version__}-{build['platform']}.tar.gz"
    assert isinstance(build["archive_mb"], float)
    assert 0 < build["archive_mb"] < build["bundle_mb"]
    # Measured, not judged here: the goal of 1.5 s is the benchmark's to report (goals_met).
    assert isinstance(build["first_start_s"], float)
    assert build["first_start_s"] > 0
    assert isinstance(build["first_paint_s"], dict)
    assert build["first_paint_s"]["median"] > 0
    assert isinstance(build["goals_met"], bool)


def test_the_release_archive_holds_one_folder_with_the_executable(
    build: dict[str, object],
) -> None:
    with tarfile.open(str(build["archive"])) as archive:
        members = {member.name: member for member in archive.getmembers()}

    assert {name.split("/")[0] for name in members} == {NAME}
    executable = members[f"{NAME}/{NAME}"]
    assert executable.isfile()
    assert executable.mode & stat.S_IXUSR


def test_the_bundle_carries_the_migrations_resources_and_time_zones(installed: Path) -> None:
    versions = sorted(p.name for p in (installed / MIGRATIONS / "versions").glob("*.py"))
    source = ROOT / "livetrader_gui" / "adapters" / "persistence" / "migrations"

    assert versions == sorted(p.name for p in (source / "versions").glob("*.py"))
    assert (installed / MIGRATIONS / "env.py").is_file()
    assert (installed / MIGRATIONS / "script.py.mako").is_file()
    resources = installed / "_internal" / "livetrader_gui" / "_resources"
    assert (resources / "icons" / "livetrader.svg").is_file()
    assert (resources / "icons" / "livetrader.png").is_file()
    assert (installed / "_internal" / "tzdata" / "zoneinfo" / "Asia" / "Seoul").is_file()


def test_the_bundle_carries_every_library_qt_needs_on_an_x11_desktop(
    build: dict[str, object],
) -> None:
    # Offscreen runs never load the X11 plugin: without this, a bundle that cannot open a
    # window on a trader's desktop would pass every other test.
    assert build["missing_x11_libraries"] == []


def test_the_bundled_app_passes_its_smoke_test_on_a_fresh_data_folder(
    installed: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "shot.png"
    data = tmp_path / "data"

    result = run_app(
        "--smoke-test",
        "--screenshot",
        str(shot),
        "--data-dir",
        str(data),
        command=[str(installed / NAME)],
        cwd=tmp_path,  # away from the checkout: nothing can come from its files
    )

    check_smoke_run(result, data, shot)


def test_the_bundled_app_names_the_version_defined_in_the_package(installed: Path) -> None:
    result = run_app("--version", command=[str(installed / NAME)], timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"LiveTrader {__version__}"


def test_the_bundled_app_refuses_a_bad_setting_with_its_name_and_no_traceback(
    installed: Path, tmp_path: Path
) -> None:
    result = run_app(
        "--data-dir", str(tmp_path), "--sim-speed", "warp", command=[str(installed / NAME)]
    )

    assert result.returncode == 2
    assert "livetrader-gui: --sim-speed must be a number above 0, got 'warp'" in result.stderr
    assert "Traceback" not in result.stderr
