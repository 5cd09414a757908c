"""The table view every list of the window uses."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QHeaderView, QTableView


def table(model: QAbstractItemModel | None) -> QTableView:
    """Return a read-only, row-selecting view of *model* whose columns the trader sizes."""
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never per update
    header.setStretchLastSection(True)
    return view
