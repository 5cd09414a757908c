"""The market watch's symbols, per broker: ``watchlists.json`` in the data folder.

Read whole and written whole (never half-written); a file that cannot be used is named, with
the line or the broker that is wrong.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

WATCHLISTS_FILE = "watchlists.json"


class WatchlistsError(ValueError):
    """The watchlists file cannot be used; the message says where."""


class WatchlistFile:
    """An ``IWatchlists`` in ``watchlists.json``: ``{"watchlists": {"UPBIT": ["KRW-BTC"]}}``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / WATCHLISTS_FILE

    def read(self) -> dict[str, list[str]]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise WatchlistsError(f"{self.path} cannot be read: {error}") from None
        except json.JSONDecodeError as error:
            raise WatchlistsError(
                f"{self.path}, line {error.lineno}: not JSON ({error.msg})"
            ) from None
        lists = data.get("watchlists") if isinstance(data, dict) else None
        if not isinstance(lists, dict):
            raise WatchlistsError(f'{self.path}: expected {{"watchlists": {{...}}}}')
        for broker, symbols in lists.items():
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                raise WatchlistsError(f"{self.path}, broker {broker}: expected a list of symbols")
        return {str(broker): list(symbols) for broker, symbols in lists.items()}

    def write(self, lists: Mapping[str, Sequence[str]]) -> None:
        data = {"watchlists": {broker: list(symbols) for broker, symbols in lists.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.path)
