"""Build the PyInstaller bundle and the release archive; print the bundle's size and cold start.

Steps, from the repository root (``make package`` runs this):

1. PyInstaller builds ``packaging/livetrader.spec`` into ``DIST/livetrader-gui/`` (a one-folder
   bundle; ``DIST/LiveTrader.app`` on macOS);
2. the folder is packed into the release archive, ``DIST/livetrader-gui-VERSION-OS-ARCH.tar.gz``
   (``.zip`` on Windows and macOS);
3. unless ``--runs 0``, ``bench/cold_start.py`` starts the bundled app offscreen with
   ``--smoke-test`` on a fresh data folder, then ``--runs`` more times, and times each start to
   the first painted window.

One JSON line is printed last: the bundle's size and file count, the archive's size, and the
first start and the median of the others against the goal of 1.5 s. A failed step exits 1
with what failed.

On Windows, the installer ``DIST/livetrader-gui-VERSION-windows-x64-setup.exe`` is compiled
from ``packaging/windows/livetrader.iss`` when Inno Setup's ``iscc`` is on PATH (``installer``
is null otherwise).

``missing_x11_libraries`` lists what Qt's X11 plugin needs and the bundle lacks (Linux);
``--release`` makes that an error.

Usage: ``python packaging/build.py [--dist DIR] [--work DIR] [--runs N] [--release]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "livetrader.spec"
NAME = "livetrader-gui"
GOAL_SECONDS = 1.5


def version() -> str:
    """Return the version defined in ``livetrader_gui/__init__.py``, its only home."""
    sys.path.insert(0, str(ROOT))
    try:
        from livetrader_gui import __version__
    finally:
        sys.path.remove(str(ROOT))
    return __version__


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; return the bundle's folder."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"PyInstaller failed (exit {result.returncode}); its log is above")
    bundle = dist / NAME
    if not executable(bundle).is_file():
        raise SystemExit(f"PyInstaller finished but {executable(bundle)} is missing")
    return bundle


def executable(bundle: Path) -> Path:
    return bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def archive(bundle: Path, release: str) -> Path:
    """Pack the bundle (the .app on macOS) into the release archive next to it."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    base = bundle.parent / f"{NAME}-{release}-{system}-{platform.machine().lower()}"
    if sys.platform == "darwin":
        # ditto keeps the .app's symbolic links (zipfile would copy their targets) and its
        # extended attributes, as Finder's "Compress" does.
        packed = f"{base}.zip"
        app = bundle.parent / "LiveTrader.app"
        command = ["ditto", "-c", "-k", "--sequesterRsrc", "--keepParent", str(app), packed]
        if subprocess.run(command, check=False).returncode != 0:
            raise SystemExit(f"ditto could not pack {app}")
    elif sys.platform == "win32":
        packed = shutil.make_archive(str(base), "zip", bundle.parent, bundle.name)
    else:
        packed = shutil.make_archive(str(base), "gztar", bundle.parent, bundle.name)
    return Path(packed)


def windows_installer(dist: Path, work: Path, release: str) -> Path | None:
    """Compile the Inno Setup installer if ``iscc`` is on PATH; return it, or None without iscc."""
    iscc = shutil.which("iscc")
    if iscc is None:
        return None
    script = ROOT / "packaging" / "windows" / "livetrader.iss"
    defines = [f"/DAppVersion={release}", f"/DDist={dist}", f"/DWork={work}"]
    result = subprocess.run([iscc, "/Q", *defines, str(script)], check=False)
    if result.returncode != 0:
        raise SystemExit(f"Inno Setup failed on {script} (exit {result.returncode})")
    return dist / f"{NAME}-{release}-windows-x64-setup.exe"


def folder_size(folder: Path) -> tuple[int, int]:
    """Return the bytes and the number of files under *folder* (links not followed)."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def missing_x11_libraries(bundle: Path) -> list[str]:
    """Return the system libraries Qt's X11 plugin needs that neither the bundle nor this OS has.

    PyInstaller copies the libraries it finds on the build machine; the ones it cannot find
    (libxcb-icccm, libxcb-keysyms... on a server) must then be on the trader's desktop, or the
    window cannot open there. Offscreen runs do not load the plugin, so only this tells.
    """
    plugin = bundle / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file() or shutil.which("ldd") is None:
        return []
    search = [bundle / "_internal", bundle / "_internal" / "PySide6" / "Qt" / "lib"]
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(map(str, search))}
    listing = subprocess.run(
        ["ldd", str(plugin)], capture_output=True, text=True, env=env, check=False
    ).stdout
    return sorted({line.split()[0] for line in listing.splitlines() if "not found" in line})


def cold_start(app: Path, runs: int) -> dict[str, object]:
    """Time the bundled app's starts with bench/cold_start.py; return its report."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "cold_start.py"),
            "--command",
            str(app),
            "--runs",
            str(runs),
            "--goal",
            str(GOAL_SECONDS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the bundled app did not start cleanly:\n{result.stdout}{result.stderr}")
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output (default dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work")
    parser.add_argument("--runs", type=int, default=5, help="timed starts after the first")
    parser.add_argument(
        "--release",
        action="store_true",
        help="fail if the bundle lacks a library Qt needs on an X11 desktop (Linux)",
    )
    args = parser.parse_args()
    release = version()
    bundle = build(args.dist.resolve(), args.work.resolve())
    packed = archive(bundle, release)
    size, files = folder_size(bundle)
    report: dict[str, object] = {
        "package": NAME,
        "version": release,
        "platform": f"{sys.platform}-{platform.machine().lower()}",
        "bundle": str(bundle),
        "bundle_mb": round(size / 2**20, 1),
        "bundle_files": files,
        "archive": str(packed),
        "archive_mb": round(packed.stat().st_size / 2**20, 1),
        "missing_x11_libraries": missing_x11_libraries(bundle),
        "goal_s": GOAL_SECONDS,
    }
    if sys.platform == "win32":
        installer = windows_installer(args.dist.resolve(), args.work.resolve(), release)
        report["installer"] = None if installer is None else str(installer)
    if args.release and report["missing_x11_libraries"]:
        raise SystemExit(
            "not a release: install these libraries on the build machine so that the bundle "
            f"carries them (packaging/README.md): {report['missing_x11_libraries']}"
        )
    if args.runs > 0 and sys.platform != "win32":
        # A windowed Windows build has no stdout to print its smoke-test report on.
        starts = cold_start(executable(bundle), args.runs)
        later = starts["first_paint_s"]
        assert isinstance(later, dict)
        first = float(starts["warm_up_run_s"])  # type: ignore[arg-type]
        report.update(
            first_start_s=first,
            first_paint_s=later,
            goals_met=max(first, float(later["median"])) <= GOAL_SECONDS,
        )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
