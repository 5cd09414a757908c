"""What the window showed when it last closed, shown again the moment it opens.

The engine takes a second or so to load; meanwhile the window shows the market watch and the
sessions as they were at the last close, greyed and labelled with the time they are from, so a
trader sees where things stood at once. The file is the window's own (``last-view.json`` in the
data folder): rows as they were drawn, no trading state. A missing or damaged file shows nothing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from livetrader_gui.ui.colours import PALETTE, Tone

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Table:
    """A table as drawn: its headers and the texts of its rows."""

    headers: list[str]
    rows: list[list[str]]

    @classmethod
    def of(cls, model: QAbstractItemModel) -> Table:
        root = QModelIndex()
        columns = range(model.columnCount(root))
        return cls(
            [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in columns],
            [
                [str(model.data(model.index(r, c)) or "") for c in columns]
                for r in range(model.rowCount(root))
            ],
        )

    def model(self) -> QStandardItemModel:
        """Return the rows as a read-only model, greyed: they are not live."""
        model = QStandardItemModel(len(self.rows), len(self.headers))
        model.setHorizontalHeaderLabels(self.headers)
        grey = PALETTE.colour(Tone.MUTED)
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row[: len(self.headers)]):
                item = QStandardItem(text)
                item.setEditable(False)
                item.setForeground(grey)
                model.setItem(r, c, item)
        return model


@dataclass(frozen=True, slots=True)
class LastView:
    """The market watch and the sessions at the last close."""

    saved_at: datetime
    quotes: Table
    sessions: Table

    def save(self, path: Path) -> None:
        """Write the view to *path*, whole or not at all; a failure is only logged."""
        document = {
            "saved_at": self.saved_at.isoformat(),
            "quotes": {"headers": self.quotes.headers, "rows": self.quotes.rows},
            "sessions": {"headers": self.sessions.headers, "rows": self.sessions.rows},
        }
        try:
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(document, file, ensure_ascii=False)
            os.replace(name, path)
        except OSError as error:
            _log.warning("cannot keep the window's last view in %s: %s", path, error)

    @classmethod
    def load(cls, path: Path) -> LastView | None:
        """Read a view written by ``save``; None if there is none or it cannot be read."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                datetime.fromisoformat(document["saved_at"]).astimezone(UTC),
                Table(list(document["quotes"]["headers"]), list(document["quotes"]["rows"])),
                Table(list(document["sessions"]["headers"]), list(document["sessions"]["rows"])),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            _log.warning("the window's last view %s is unreadable (%s): not shown", path, error)
            return None
