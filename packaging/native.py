"""Compile the bar-by-bar formula path with Cython into ``livetrader_gui/processing/_compiled/``.

The per-tick path (``processing/stream.py`` and ``processing/stream_indicators.py``) runs for every
symbol on every bar. Cython compiles those two modules, unchanged, to C extension modules: the
same source, about half the time per bar (``bench/formula_bench.py`` prints which path it timed).
The pure Python modules stay where they are, as the reference the tests hold the compiled build
to and as the fallback where no C compiler is at hand (``livetrader_gui.processing.native``).

Nothing here reads a formula: the compiled code is the engine's own, fixed at build time.

Usage: ``python packaging/native.py`` (``make`` runs it after installing); set
``LIVETRADER_PURE_PYTHON=1`` to skip the build on a machine without a C compiler.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "livetrader_gui.processing"
TARGET = "_compiled"
SKIP_VARIABLE = "LIVETRADER_PURE_PYTHON"


class NativeBuildError(RuntimeError):
    """The compiled build failed; the message says what to install or set."""


def manifest_module(root: Path = ROOT) -> ModuleType:
    """Return ``processing/_compiled/__init__.py`` (what to compile, and the digest), by path.

    Importing it by name would import the processing package first, and with it the compiled
    modules this build is about to replace.
    """
    path = root.joinpath(*PACKAGE.split("."), TARGET, "__init__.py")
    spec = importlib.util.spec_from_file_location("livetrader_native_manifest", path)
    if spec is None or spec.loader is None:
        raise NativeBuildError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(root: Path = ROOT) -> list[Path]:
    """Compile the sources and place the extension modules in the source tree; return them."""
    try:
        from Cython.Build import cythonize
        from setuptools import Distribution, Extension
    except ImportError as error:
        raise NativeBuildError(
            f"the compiled formula path needs Cython and setuptools ({error.name} is missing); "
            f"install the dev extras, or set {SKIP_VARIABLE}=1 to run on pure Python"
        ) from error

    manifest = manifest_module(root)
    sources: tuple[str, ...] = manifest.SOURCES
    package_dir = root.joinpath(*PACKAGE.split("."))
    target_dir = package_dir / TARGET
    digest = manifest.source_digest(package_dir)  # of the text compiled, taken before the copy
    with tempfile.TemporaryDirectory(prefix="livetrader-native-") as scratch:
        work = Path(scratch)
        # A mirror of the package path under a new module name: Cython derives the module's
        # qualified name from the folders, and the pure modules keep their own names.
        mirror = work / "src" / Path(*PACKAGE.split(".")) / TARGET
        mirror.mkdir(parents=True)
        for folder in (mirror, *mirror.parents):
            if folder == work / "src":
                break
            (folder / "__init__.py").touch()
        extensions = []
        for name in sources:
            shutil.copyfile(package_dir / name, mirror / name)
            qualified = f"{PACKAGE}.{TARGET}.{Path(name).stem}"
            # Cython's generated C defines helpers it may not use; gcc's notes on them are noise.
            quiet_c = [] if sys.platform == "win32" else ["-Wno-unused-function"]
            extensions.append(
                Extension(qualified, [str(mirror / name)], extra_compile_args=quiet_c)
            )
        modules = cythonize(  # type: ignore[no-untyped-call]  # Cython leaves it unannotated
            extensions,
            build_dir=str(work / "c"),
            compiler_directives={"language_level": "3"},
            quiet=True,
        )
        distribution = Distribution({"name": "livetrader-native", "ext_modules": modules})
        command = distribution.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "tmp")
        command.parallel = os.cpu_count() or 1
        try:
            command.ensure_finalized()
            command.run()
        except Exception as error:  # the compiler's own errors: CompileError, LinkError, ...
            raise NativeBuildError(
                f"compiling the formula path failed: {error}. It needs a C compiler and the "
                f"Python headers (Debian: gcc python3-dev); set {SKIP_VARIABLE}=1 to run on "
                "pure Python instead"
            ) from error
        built_dir = work / "lib" / Path(*PACKAGE.split(".")) / TARGET
        built = sorted([*built_dir.glob("*.so"), *built_dir.glob("*.pyd")])
        if len(built) != len(sources):
            raise NativeBuildError(f"expected {len(sources)} compiled modules, got {built}")
        # Unlink, never overwrite: a running process may have the old module mapped.
        for old in [*target_dir.glob("*.so"), *target_dir.glob("*.pyd")]:
            old.unlink()
        placed = [Path(shutil.copy2(module, target_dir / module.name)) for module in built]
    (target_dir / manifest.MANIFEST).write_text(digest + "\n", encoding="ascii")
    return placed


def main() -> int:
    if os.environ.get(SKIP_VARIABLE) == "1":
        print(f"{SKIP_VARIABLE}=1: the formula path stays pure Python")
        return 0
    try:
        placed = build()
    except NativeBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("compiled formula path: " + ", ".join(str(p.relative_to(ROOT)) for p in placed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
