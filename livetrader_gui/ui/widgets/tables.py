"""The table view every list of the window uses."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView


def table(model: QAbstractItemModel | None, widths: Sequence[int] = ()) -> QTableView:
    """Return a read-only, row-selecting view of *model* whose columns the trader sizes.

    *widths* are the columns' first widths; a right click on the header offers to hide or
    show each column (the header's state, kept by the main window, remembers both).
    """
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never per update
    header.setStretchLastSection(True)
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(lambda at: _column_menu(view, at))
    set_widths(view, widths)
    return view


def set_widths(view: QTableView, widths: Sequence[int]) -> None:
    """Give the columns of *view* their first *widths* (the last column stretches)."""
    for column, width in enumerate(widths):
        view.horizontalHeader().resizeSection(column, width)


def column_actions(view: QTableView) -> list[QAction]:
    """Return one checkable action per column of *view*, which hides or shows it."""
    model, header = view.model(), view.horizontalHeader()
    actions = []
    if model is None:
        return actions
    for column in range(model.columnCount()):
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        action = QAction(title, view, checkable=True)
        action.setChecked(not header.isSectionHidden(column))
        # The first column names the row: it always stays.
        action.setEnabled(column > 0)
        action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))
        actions.append(action)
    return actions


def _column_menu(view: QTableView, at: QPoint) -> None:
    menu = QMenu(view)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.addSection("Columns")
    for action in column_actions(view):
        menu.addAction(action)
    menu.popup(view.horizontalHeader().mapToGlobal(at))
