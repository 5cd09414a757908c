"""Choose the bar-by-bar evaluator: the compiled ``stream.py`` when it is built and current.

``packaging/native.py`` compiles the per-tick modules with Cython (``make`` does it on install);
the compiled :class:`FormulaStream` answers exactly as the pure Python one, in about half the time
per bar. A build older than the source beside it is refused, so an edit to ``stream.py`` is never
shadowed by stale machine code; with no build, or a refused one, the pure Python class runs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import cast

from livetrader_gui.processing._compiled import MANIFEST, SOURCES, source_digest
from livetrader_gui.processing.stream import FormulaStream


def load_compiled(package_dir: Path) -> tuple[type[FormulaStream] | None, str]:
    """Return the compiled stream class (or None) and a sentence on what was found."""
    compiled_dir = package_dir / "_compiled"
    if all((package_dir / name).is_file() for name in SOURCES):
        # A source checkout: the build must be of this very source. (A bundle has no sources.)
        manifest = compiled_dir / MANIFEST
        recorded = manifest.read_text(encoding="ascii").strip() if manifest.is_file() else ""
        if not recorded:
            return None, (
                "the compiled formula path is not built: make builds it unless "
                "LIVETRADER_PURE_PYTHON=1 is set"
            )
        if recorded != source_digest(package_dir):
            return None, (
                "the compiled formula path is older than stream.py or stream_indicators.py; "
                "run make to rebuild it"
            )
    try:
        module = importlib.import_module(f"{__package__}._compiled.stream")
    except ImportError as error:
        return None, f"the compiled formula path cannot be loaded: {error}"
    return cast(type[FormulaStream], module.FormulaStream), "the compiled formula path is in use"


COMPILED_STREAM, STREAM_NOTE = load_compiled(Path(__file__).resolve().parent)
# The class every live session uses: compiled when possible.
STREAM: type[FormulaStream] = COMPILED_STREAM or FormulaStream
STREAM_KIND = "compiled" if COMPILED_STREAM is not None else "python"
