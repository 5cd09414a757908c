"""The main window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui import __version__
from livetrader_gui.ui.models.quote_table_model import QuoteTableModel
from livetrader_gui.ui.qt_bridge import EngineSignals
from livetrader_gui.ui.resources import resource_path
from livetrader_gui.ui.widgets.market_status_panel import MarketStatusPanel


class MainWindow(QMainWindow):
    """The trader's window. It paints at once; the workspace is attached when it is ready."""

    closed = Signal()

    def __init__(self, signals: EngineSignals, parent: Any = None) -> None:
        super().__init__(parent)
        self._signals = signals
        self.setWindowTitle("LiveTrader")
        self.setWindowIcon(QIcon(str(resource_path("icons/livetrader.svg"))))
        self.resize(1100, 680)
        self.heading = QLabel("Market watch — starting…")
        self.heading.setStyleSheet("font-size: 15px; font-weight: 600; padding: 4px 0;")
        self.quotes = QTableView()
        self.quotes.setAlternatingRowColors(True)
        self.quotes.verticalHeader().setVisible(False)
        self.quotes.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.heading)
        layout.addWidget(self.quotes)
        self.setCentralWidget(central)
        self.status_panel = MarketStatusPanel()
        self.statusBar().addPermanentWidget(self.status_panel)
        self.database_label = QLabel("")
        self.statusBar().addWidget(self.database_label)
        self.quote_model: QuoteTableModel | None = None
        signals.market_status_changed.connect(self.status_panel._on_market_status_changed)
        self._build_menus()

    def _build_menus(self) -> None:
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu("&File").addAction(quit_action)
        about = QAction("&About LiveTrader", self)
        about.triggered.connect(self._on_about_triggered)
        self.menuBar().addMenu("&Help").addAction(about)

    def show_workspace(
        self, broker: str, names: dict[str, str], timezone: str, database: str
    ) -> None:
        """Attach the workspace once the engine has started."""
        self.quote_model = QuoteTableModel(names, timezone, parent=self)
        self.quotes.setModel(self.quote_model)
        header = self.quotes.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(1, 220)
        self._signals.quote_received.connect(self.quote_model.push)
        self.heading.setText(f"Market watch — {broker}")
        self.database_label.setText(f"Database: {database}")

    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About LiveTrader",
            f"<b>LiveTrader</b> {__version__}<br>Rule-based strategies, live, behind an "
            "evidence-based go-live gate and hard risk limits.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
