"""Cython builds of ``stream.py`` and ``stream_indicators.py``, made by ``packaging/native.py``.

The folder holds the compiled modules (not in git: they are built per machine) and the digest of
the sources they came from. This file names that digest and nothing else: the build reads it by
path, without importing the processing package, and it must stay free of imports beyond the
standard library.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# The modules compiled, by file name in ``livetrader_gui/processing``; their compiled twins here
# have the same module names.
SOURCES = ("stream.py", "stream_indicators.py")
MANIFEST = "sources.sha256"


def source_digest(package_dir: Path) -> str:
    """Return the SHA-256 of the sources in *package_dir*, names included, in a fixed order."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((package_dir / name).read_bytes())
    return digest.hexdigest()
