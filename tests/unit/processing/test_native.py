"""The compiled formula path: built where make runs, refused when stale, never silently absent."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

from livetrader_gui.processing import native
from livetrader_gui.processing._compiled import MANIFEST, SOURCES, source_digest
from livetrader_gui.processing.stream import FormulaStream

PACKAGE_DIR = Path(native.__file__).resolve().parent


def checkout(tmp_path: Path, recorded: str | None) -> Path:
    """Return a copy of the processing sources with *recorded* as the build's digest."""
    (tmp_path / "_compiled").mkdir()
    for name in SOURCES:
        shutil.copyfile(PACKAGE_DIR / name, tmp_path / name)
    if recorded is not None:
        (tmp_path / "_compiled" / MANIFEST).write_text(recorded + "\n", encoding="ascii")
    return tmp_path


@pytest.mark.skipif(
    os.environ.get("LIVETRADER_PURE_PYTHON") == "1", reason="the compiled build was opted out"
)
def test_this_environment_runs_the_compiled_formula_path() -> None:
    # make builds it (packaging/native.py); a failed or forgotten build must not pass unseen.
    assert native.STREAM_KIND == "compiled", native.STREAM_NOTE
    assert native.STREAM is native.COMPILED_STREAM
    assert native.STREAM is not FormulaStream
    assert native.STREAM.__module__ == "livetrader_gui.processing._compiled.stream"


def test_a_build_of_the_current_source_is_loaded(tmp_path: Path) -> None:
    package_dir = checkout(tmp_path, source_digest(PACKAGE_DIR))

    compiled, note = native.load_compiled(package_dir)

    if native.COMPILED_STREAM is None:  # LIVETRADER_PURE_PYTHON=1: there is nothing to load
        assert compiled is None
        assert note.startswith("the compiled formula path cannot be loaded")
    else:
        assert compiled is native.COMPILED_STREAM
        assert note == "the compiled formula path is in use"


def test_a_bundle_without_sources_loads_the_build_without_a_digest(tmp_path: Path) -> None:
    # PyInstaller keeps bytecode only: there is no source to compare the build with.
    compiled, _ = native.load_compiled(tmp_path)

    assert compiled is native.COMPILED_STREAM


def test_a_build_that_cannot_be_loaded_leaves_the_pure_python_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str) -> None:
        raise ImportError(f"{name}: undefined symbol: PyFloat_Type")

    monkeypatch.setattr(importlib, "import_module", refuse)

    compiled, note = native.load_compiled(checkout(tmp_path, source_digest(PACKAGE_DIR)))

    assert compiled is None
    assert note == (
        "the compiled formula path cannot be loaded: "
        "livetrader_gui.processing._compiled.stream: undefined symbol: PyFloat_Type"
    )


def test_a_build_older_than_its_source_is_refused(tmp_path: Path) -> None:
    package_dir = checkout(tmp_path, source_digest(PACKAGE_DIR))
    with (package_dir / "stream.py").open("a", encoding="utf-8") as source:
        source.write("\n# an edit made after the build\n")

    compiled, note = native.load_compiled(package_dir)

    assert compiled is None
    assert "older than stream.py or stream_indicators.py" in note
    assert "run make" in note


def test_a_checkout_without_a_build_says_so(tmp_path: Path) -> None:
    compiled, note = native.load_compiled(checkout(tmp_path, recorded=None))

    assert compiled is None
    assert note == (
        "the compiled formula path is not built: make builds it unless "
        "LIVETRADER_PURE_PYTHON=1 is set"
    )


def test_the_digest_changes_with_any_compiled_source(tmp_path: Path) -> None:
    package_dir = checkout(tmp_path, recorded=None)
    before = source_digest(package_dir)
    for name in SOURCES:
        text = (package_dir / name).read_text(encoding="utf-8")
        (package_dir / name).write_text(text + " ", encoding="utf-8")
        after = source_digest(package_dir)
        assert after != before, name
        before = after
