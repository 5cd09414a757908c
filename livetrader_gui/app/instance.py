"""One copy of the app per data folder.

Two copies on one folder would run the same sessions twice against one broker account and
write one database from two processes. The first copy holds ``livetrader.lock`` in the data
folder (Qt's ``QLockFile``: the holder's process id and host are written in it); a second copy
finds it held and refuses to start, saying which process holds it. A lock left by a copy that
was killed (its process is gone) is stale and taken over, so a restart after a crash starts.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile

LOCK_FILE = "livetrader.lock"


class FolderInUseError(Exception):
    """Another copy of the app holds the data folder; the message says which and what to do."""


def hold_data_folder(data_dir: Path) -> QLockFile:
    """Hold *data_dir* for this process until the returned lock is unlocked (or the process
    ends); raise ``FolderInUseError`` when another running copy holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(data_dir / LOCK_FILE))
    # Never stale by age: a copy that runs for weeks keeps its folder. A lock whose process
    # is gone is stale all the same (QLockFile checks the process id on this host).
    lock.setStaleLockTime(0)
    if lock.tryLock(0):
        return lock
    pid, host, _app = lock.getLockInfo()  # PySide6 returns what C++ gives by reference
    holder = f"process {pid} on {host}" if pid else "a process that could not be named"
    raise FolderInUseError(
        f"another LiveTrader ({holder}) is using the data folder {data_dir}: close it first, "
        "or give this one another folder with --data-dir"
    )
