"""Locating the files of ``resources/`` in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
# A wheel carries resources/ inside the package (pyproject: force-include); a checkout has it
# next to the package.
_CANDIDATES = (_PACKAGE / "_resources", _PACKAGE.parent / "resources")


def resource_path(relative: str) -> Path:
    """Return the path of ``resources/<relative>``, or raise FileNotFoundError naming where."""
    for base in _CANDIDATES:
        candidate = base / relative
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(base / relative) for base in _CANDIDATES)
    raise FileNotFoundError(f"resource {relative!r} not found (looked in {tried})")


def resource_folder(relative: str) -> Path | None:
    """Return the folder ``resources/<relative>``, or None where there is none."""
    for base in _CANDIDATES:
        candidate = base / relative
        if candidate.is_dir():
            return candidate
    return None
