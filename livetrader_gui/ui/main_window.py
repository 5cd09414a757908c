"""The main window: sessions, the selected session, the market watch, the kill switch.

The window is the first thing a trader sees, so it paints before the engine is loaded: this
module imports Qt and light modules only; the trading area (charts, tables, wizard, editor),
which needs pyqtgraph, numpy and the application layer, is imported when the workspace arrives.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import PySide6
from PySide6.QtCore import QSettings, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui import __version__
from livetrader_gui.ui.colours import HEADING, PALETTE, Convention, Tone, style_label
from livetrader_gui.ui.commands import CommandRunner, Confirm, ask
from livetrader_gui.ui.last_view import LastView, Table
from livetrader_gui.ui.qt_bridge import EngineSignals
from livetrader_gui.ui.resources import resource_path
from livetrader_gui.ui.theme import Theme, apply_theme
from livetrader_gui.ui.widgets.market_status_panel import MarketStatusPanel
from livetrader_gui.ui.widgets.tables import set_widths, table

if TYPE_CHECKING:
    from livetrader_gui.application.desk import TradingDesk
    from livetrader_gui.application.live_trading.session_manager import KillSwitchReport
    from livetrader_gui.application.market_watch_board import IMarketWatchBoard
    from livetrader_gui.application.read_models import SessionSnapshot
    from livetrader_gui.application.venue_connections import IVenueConnections
    from livetrader_gui.domain import Quote
    from livetrader_gui.ui.models.quote_table_model import QuoteTableModel
    from livetrader_gui.ui.widgets.brokers_dialog import BrokersDialog
    from livetrader_gui.ui.widgets.market_watch_bar import MarketWatchBar
    from livetrader_gui.ui.widgets.restart_review_dialog import RestartReviewDialog
    from livetrader_gui.ui.widgets.strategy_editor import StrategyEditor
    from livetrader_gui.ui.wizards.go_live import GoLiveWizard
    from livetrader_gui.ui.workbench import Workbench

BROKER_STATUS_MS = 2_000  # how often the status bar reads each broker's link

_KILL_STYLE = (
    "QToolButton { background: #c62828; color: white; font-weight: 700; padding: 4px 14px;"
    " border-radius: 3px; } QToolButton:disabled { background: #9e9e9e; }"
)


def about_text() -> str:
    """Return the About box's text: the version (from ``livetrader_gui.__version__``) and the
    versions of Qt and Python it runs on, which a support question needs first."""
    return (
        f"<b>LiveTrader {__version__}</b><br>Rule-based strategies, live, behind an "
        "evidence-based go-live gate and hard risk limits.<br><br>"
        f"Qt {qVersion()} · PySide6 {PySide6.__version__} · Python {platform.python_version()}"
    )


class MainWindow(QMainWindow):
    """The trader's window. It paints at once; the workspace is attached when it is ready."""

    closed = Signal()

    def __init__(
        self,
        signals: EngineSignals,
        settings: QSettings | None = None,
        parent: Any = None,
        last_view: Path | None = None,
    ) -> None:
        """*last_view* is where the window keeps what it showed at its last close (None: not
        kept); it is shown again, greyed, until the workspace arrives."""
        super().__init__(parent)
        self._last_view_path = last_view
        self._signals = signals
        # Where the layout and the theme are kept between runs; None (tests): not kept.
        self.settings = settings
        self.setWindowTitle("LiveTrader")
        self.setWindowIcon(QIcon(str(resource_path("icons/livetrader.svg"))))
        self.resize(1280, 800)
        self.heading = QLabel("Market watch — starting…")
        style_label(self.heading, css=HEADING)
        self.quotes = table(None)  # the model comes with the workspace
        self._market = QWidget()
        column = QVBoxLayout(self._market)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.heading)
        column.addWidget(self.quotes)
        # The sessions of the last run, until the workspace brings the live ones.
        self.last_sessions = table(None)
        self.last_sessions.hide()
        column.addWidget(self.last_sessions)
        self.setCentralWidget(self._market)
        self.status_panel = MarketStatusPanel()
        self.statusBar().addPermanentWidget(self.status_panel)
        self.notice = QLabel("")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.notice, 1)
        self.database_label = QLabel("")
        self.statusBar().addWidget(self.database_label)
        # Each broker's link, in one line; the tooltip says why one is down.
        self.brokers_label = QLabel("")
        self.statusBar().addPermanentWidget(self.brokers_label)
        self._broker_timer = QTimer(self)
        self._broker_timer.setInterval(BROKER_STATUS_MS)
        self._broker_timer.timeout.connect(self._show_brokers)
        self._connections: IVenueConnections | None = None
        self.brokers_dialog: BrokersDialog | None = None
        self.quote_model: QuoteTableModel | None = None
        self.workbench: Workbench | None = None
        self._board: IMarketWatchBoard | None = None
        self.watch_bar: MarketWatchBar | None = None
        self.commands = CommandRunner(self.report)
        self.confirm: Confirm = ask(self)
        self._desk: TradingDesk | None = None
        self.last_kill_report: KillSwitchReport | None = None
        self.about_box: QMessageBox | None = None
        self.wizard: GoLiveWizard | None = None
        self.editor: StrategyEditor | None = None
        self._broker_id = ""
        self._timezone = "UTC"
        self._names: dict[str, str] = {}
        signals.market_status_changed.connect(self.status_panel._on_market_status_changed)
        self._error_box: QMessageBox | None = None
        self._quitting = False
        self.unclean_box: QMessageBox | None = None
        self._build_toolbar()
        self._build_menus()
        self.theme = Theme.named(settings.value("theme") if settings is not None else None)
        self.convention = Convention.named(
            settings.value("convention") if settings is not None else None
        )
        self.set_convention(self.convention)
        self.set_theme(self.theme)
        if settings is not None and settings.contains("geometry"):
            self.restoreGeometry(settings.value("geometry"))
            self.restoreState(settings.value("state"))
        self._show_last_view()

    def _show_last_view(self) -> None:
        view = LastView.load(self._last_view_path) if self._last_view_path else None
        if view is None or not view.quotes.rows:
            return
        saved = view.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
        self.heading.setText(f"Market watch — as last seen at {saved} · starting…")
        self.quotes.setModel(view.quotes.model())
        self._restore_header("quotes", self.quotes)
        if view.sessions.rows:
            self.last_sessions.setModel(view.sessions.model())
            self._restore_header("sessions", self.last_sessions)
            self.last_sessions.show()

    def _restore_header(self, name: str, view: QTableView) -> None:
        """Give *view* the column widths and hidden columns the trader left it with."""
        state = self.settings.value(f"tables/{name}") if self.settings is not None else None
        if state is not None:
            view.horizontalHeader().restoreState(state)

    # ------------------------------------------------------------------ building

    def _build_toolbar(self) -> None:
        bar = QToolBar("Trading")
        bar.setObjectName("trading-toolbar")
        bar.setMovable(False)
        self.go_live_action = QAction("Go live…", self)
        self.go_live_action.setToolTip(
            "Start a session: choose a strategy, see the go-live checks, then Start (Ctrl+G)"
        )
        self.go_live_action.setShortcut(QKeySequence("Ctrl+G"))
        self.go_live_action.setEnabled(False)
        self.go_live_action.triggered.connect(lambda: self.open_go_live())
        bar.addAction(self.go_live_action)
        self.editor_action = QAction("Strategies…", self)
        self.editor_action.setToolTip(
            "Write, check, import, export and backtest strategies (Ctrl+Shift+E)"
        )
        self.editor_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.editor_action.setEnabled(False)
        self.editor_action.triggered.connect(self.open_editor)
        bar.addAction(self.editor_action)
        self.kill_action = QAction("KILL SWITCH", self)
        self.kill_action.setToolTip(
            "Stop every session from opening positions, cancel open orders and close all "
            "positions at market (Ctrl+Shift+K)"
        )
        self.kill_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.kill_action.setEnabled(False)
        self.kill_action.triggered.connect(self._on_kill_switch_triggered)
        spacer = QWidget()  # pushes the kill switch to the right, away from everyday buttons
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.kill_action)
        bar.widgetForAction(self.kill_action).setStyleSheet(_KILL_STYLE)
        self.brokers_action = QAction("Brokers…", self)
        self.brokers_action.setToolTip(
            "Connect real venues: API keys, test a connection, see each one's status"
        )
        self.brokers_action.triggered.connect(self.open_brokers)
        self.review_action = QAction("Review after restart…", self)
        self.review_action.setToolTip(
            "What the last restart found different from the brokers, and your decisions"
        )
        self.review_action.triggered.connect(self.open_restart_review)
        self.restart_review_dialog: RestartReviewDialog | None = None
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def _attach_board(self, board: IMarketWatchBoard | None, broker_id: str) -> None:
        """Put the broker picker and the symbol search above the market watch."""
        self._board = board
        if board is None:
            return
        from livetrader_gui.ui.widgets.market_watch_bar import MarketWatchBar

        self.watch_bar = MarketWatchBar(board, self.commands)
        column = self._market.layout()
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(1, self.watch_bar)
        self.watch_bar.broker_chosen.connect(self._show_watch)
        self.watch_bar.names_listed.connect(self._show_watch)
        self.unwatch_action = QAction("Stop watching this symbol", self)
        self.unwatch_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.unwatch_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.unwatch_action.triggered.connect(self._on_unwatch)
        self.quotes.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.quotes.addAction(self.unwatch_action)
        self.watch_bar.broker.setCurrentIndex(max(0, self.watch_bar.broker.findData(broker_id)))
        self._show_watch(self.watch_bar.broker_id)

    def _show_watch(self, broker_id: str) -> None:
        """Show the symbols watched on *broker_id*, and its market's state."""
        board, model, bar = self._board, self.quote_model, self.watch_bar
        if board is None or model is None or bar is None or broker_id != bar.broker_id:
            return
        watched = next((b for b in board.brokers() if b.broker_id == broker_id), None)
        if watched is None:
            return
        self.heading.setText(f"Market watch — {watched.name}")
        model.show_symbols(watched.symbols, {**self._names, **bar.names(broker_id)})
        model.load(board.latest(broker_id))
        self.status_panel.show_broker(broker_id)
        if not watched.symbols and not watched.problem:
            bar.tell(f"No symbol is watched on {watched.name} yet: search one to watch it")

    def _on_unwatch(self) -> None:
        board, model, bar = self._board, self.quote_model, self.watch_bar
        if board is None or model is None or bar is None:
            return
        rows = self.quotes.selectionModel().selectedRows()
        if not rows:
            bar.tell("Select the symbol to stop watching", bad=True)
            return
        symbol = model.item(rows[0].row()).symbol
        broker_id = bar.broker_id

        def done(said: str) -> None:
            self._show_watch(broker_id)
            bar.tell(said)

        self.commands.run(
            f"Stopping the watch of {symbol}",
            board.unwatch(broker_id, symbol),
            done=done,
            failed=lambda said: bar.tell(said, bad=True),
        )

    def _show_brokers(self) -> None:
        """Show each broker's link in the status bar: ● up, ○ down (why, in the tooltip)."""
        if self._desk is None:
            return
        if self.watch_bar is not None:
            self.watch_bar.show_brokers()
        choices = self._desk.brokers()
        self.brokers_label.setText(
            "  ".join(f"{'●' if c.healthy else '○'} {c.broker_id}" for c in choices)
        )
        self.brokers_label.setToolTip("\n".join(f"{c.display_name}: {c.detail}" for c in choices))
        down = [c for c in choices if not c.healthy]
        style_label(self.brokers_label, Tone.BAD if down else None)

    def open_restart_review(self) -> RestartReviewDialog | None:
        """Open the review of what the last restart found (window-modal, without blocking
        the loop); None when there is nothing to review."""
        if self._desk is None or not self._desk.restart_review():
            return None
        from livetrader_gui.ui.widgets.restart_review_dialog import RestartReviewDialog

        dialog = RestartReviewDialog(self._desk, self.commands, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_review_closed)
        self.restart_review_dialog = dialog
        dialog.open()
        return dialog

    def _on_review_closed(self) -> None:
        self.restart_review_dialog = None

    def open_brokers(self) -> BrokersDialog | None:
        """Open the Brokers dialog (window-modal, without blocking the loop)."""
        if self._connections is None:
            return None
        from livetrader_gui.ui.widgets.brokers_dialog import BrokersDialog

        dialog = BrokersDialog(self._connections, self.commands, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_brokers_closed)
        self.brokers_dialog = dialog
        dialog.open()
        return dialog

    def _on_brokers_closed(self) -> None:
        self.brokers_dialog = None
        self._show_brokers()

    def _build_menus(self) -> None:
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu("&File").addAction(quit_action)
        self.trading_menu = self.menuBar().addMenu("&Trading")
        self.trading_menu.addAction(self.editor_action)
        self.trading_menu.addAction(self.go_live_action)
        self.trading_menu.addAction(self.kill_action)
        view = self.menuBar().addMenu("&View")
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[Theme, QAction] = {}
        for theme in Theme:
            action = QAction(theme.value.capitalize(), self, checkable=True)
            action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            group.addAction(action)
            themes.addAction(action)
            self.theme_actions[theme] = action
        colours = view.addMenu("&Up and down colours")
        conventions = QActionGroup(self)
        self.convention_actions: dict[Convention, QAction] = {}
        for convention in Convention:
            action = QAction(convention.label, self, checkable=True)
            action.triggered.connect(lambda _=False, c=convention: self.set_convention(c))
            conventions.addAction(action)
            colours.addAction(action)
            self.convention_actions[convention] = action
        about = QAction("&About LiveTrader", self)
        about.triggered.connect(self._on_about_triggered)
        self.menuBar().addMenu("&Help").addAction(about)

    def show_workspace(
        self,
        desk: TradingDesk,
        broker: str,
        broker_id: str,
        names: dict[str, str],
        timezone: str,
        database: str,
        failed: Sequence[SessionSnapshot] = (),
        quotes: Sequence[Quote] = (),
        connections: IVenueConnections | None = None,
        *,
        board: IMarketWatchBoard | None = None,
    ) -> None:
        """Attach the workspace once the engine has started; *failed* are the sessions that
        came back in ERROR, *quotes* the latest ones, reported before the window listened;
        *connections* the trader's venue connections (the Brokers dialog); *board* the market
        watch of every broker (without it, the window shows *broker*'s quotes only)."""
        from livetrader_gui.ui.charts.bar_store import BarStore
        from livetrader_gui.ui.models.quote_table_model import QUOTE_WIDTHS, QuoteTableModel
        from livetrader_gui.ui.workbench import Workbench

        self._desk = desk
        self.last_sessions.hide()  # the live sessions take their place
        self._timezone = timezone
        self._names = dict(names)
        self.quote_model = QuoteTableModel(names, timezone, parent=self)
        self.quote_model.load(list(quotes))
        self.quotes.setModel(self.quote_model)
        set_widths(self.quotes, QUOTE_WIDTHS)
        self.heading.setText(f"Market watch — {broker}")
        self._attach_board(board, broker_id)
        self.database_label.setText(f"Database: {database}")
        self.workbench = Workbench(
            desk,
            self._signals,
            BarStore(),
            self.commands,
            self.confirm_proxy,
            timezone,
            failed,
            names=names,
        )
        self.workbench.add_market_watch(self._market)
        self.setCentralWidget(self.workbench)
        self._restore_splitters()
        self._signals.quote_received.connect(self.quote_model.push)
        self.kill_action.setEnabled(True)
        self.go_live_action.setEnabled(True)
        self.editor_action.setEnabled(True)
        self._broker_id = broker_id
        trading = self.trading_menu
        trading.clear()
        trading.addAction(self.editor_action)
        trading.addAction(self.go_live_action)
        trading.addSeparator()
        trading.addAction(self.workbench.queue.execute_action)
        trading.addAction(self.workbench.queue.dismiss_action)
        trading.addSeparator()
        trading.addAction(self.kill_action)
        if desk.restart_review():
            trading.addAction(self.review_action)
        self._connections = connections
        if connections is not None:
            trading.addSeparator()
            trading.addAction(self.brokers_action)
        self._broker_timer.start()
        self._show_brokers()

    def open_go_live(self, strategy_id: str | None = None) -> GoLiveWizard | None:
        """Open the go-live wizard (window-modal, without blocking the loop)."""
        if self._desk is None:
            return None
        from livetrader_gui.ui.wizards.go_live import GoLiveWizard

        wizard = GoLiveWizard(
            self._desk,
            self.commands,
            self.report,
            strategy_id,
            parent=self,
            names=self._names,
        )
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.session_started.connect(self._on_session_started)
        wizard.finished.connect(self._on_wizard_finished)
        self.wizard = wizard
        wizard.open()
        return wizard

    def open_editor(self) -> StrategyEditor | None:
        """Open the strategy editor (non-modal)."""
        if self._desk is None:
            return None
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return self.editor
        from livetrader_gui.ui.widgets.strategy_editor import StrategyEditor

        editor = StrategyEditor(
            self._desk,
            self.commands,
            self.confirm_proxy,
            self._broker_id,
            parent=self,
            timezone=self._timezone,
        )
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._on_editor_finished)
        self.editor = editor
        editor.show()
        return editor

    def _on_editor_finished(self) -> None:
        self.editor = None

    def _on_wizard_finished(self) -> None:
        self.wizard = None

    def _on_session_started(self, session: SessionSnapshot) -> None:
        if self.workbench is not None:
            self.workbench.sessions.model.push_session(session)
            self.workbench.sessions.model.flush()
            self.workbench.sessions.select(session.session_id)

    def confirm_proxy(self, title: str, question: str) -> bool:
        """Ask through ``self.confirm``, which tests replace."""
        return self.confirm(title, question)

    # ------------------------------------------------------------------ commands

    def report(self, message: str) -> None:
        """Tell the trader how a command went, in the status bar."""
        self.notice.setText(message)

    def _on_kill_switch_triggered(self) -> None:
        if self._desk is None:
            return
        question = (
            "Kill switch: every session stops opening positions, every open order is "
            "cancelled and every position is closed at market.\n\nDo it now?"
        )
        if not self.confirm("Kill switch", question):
            return
        self.report("Kill switch: halting every session…")
        self.commands.run("Kill switch", self._desk.kill_switch(), self._on_kill_switch_done)

    def _on_kill_switch_done(self, report: KillSwitchReport) -> None:
        self.last_kill_report = report
        self.report(f"Kill switch: {report.summary}")
        if self.isVisible():
            box = QMessageBox(QMessageBox.Icon.Warning, "Kill switch", report.summary, parent=self)
            box.setModal(False)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()

    def _on_about_triggered(self) -> None:
        # Not QMessageBox.about(): that runs a nested event loop, and the sessions' loop must
        # keep turning while a trader reads the box. One box, raised again if already open.
        if self.about_box is None:
            box = QMessageBox(
                QMessageBox.Icon.NoIcon, "About LiveTrader", about_text(), parent=self
            )
            box.setIconPixmap(self.windowIcon().pixmap(64, 64))
            box.setModal(False)
            self.about_box = box
        self.about_box.show()
        self.about_box.raise_()
        self.about_box.activateWindow()

    # ------------------------------------------------------------------ look and layout

    def set_convention(self, convention: Convention) -> None:
        """Colour rises and falls as *convention* does; the choice is kept."""
        self.convention = convention
        self.convention_actions[convention].setChecked(True)
        PALETTE.use(PALETTE.theme, convention)
        self._repaint_tables()
        if self.settings is not None:
            self.settings.setValue("convention", convention.value)

    def _repaint_tables(self) -> None:
        # Tables keep tones, not colours: a repaint is all a new palette needs.
        for view in self.findChildren(QAbstractItemView):
            view.viewport().update()

    def set_theme(self, theme: Theme) -> None:
        """Switch to *theme*; the choice is kept."""
        self.theme = theme
        self.theme_actions[theme].setChecked(True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        PALETTE.use(theme, PALETTE.convention)  # after the palette: labels take its text colour
        self._repaint_tables()
        if self.settings is not None:
            self.settings.setValue("theme", theme.value)

    def _splitters(self) -> dict[str, QSplitter]:
        if self.workbench is None:
            return {}
        return {
            "workbench": self.workbench.splitter,
            "sessions": self.workbench._left,
            "session": self.workbench.session.splitter,
        }

    def _restore_splitters(self) -> None:
        if self.settings is None:
            return
        for name, splitter in self._splitters().items():
            state = self.settings.value(f"splitters/{name}")
            if state is not None:
                splitter.restoreState(state)
        for name, view in self._tables().items():
            self._restore_header(name, view)

    def _tables(self) -> dict[str, QTableView]:
        if self.workbench is None:
            return {}
        return {"quotes": self.quotes, "sessions": self.workbench.sessions.table}

    def save_layout(self) -> None:
        """Keep the window's size, place, toolbars and panel sizes for the next run, and what
        the market watch and the sessions showed."""
        if self._last_view_path is not None and self.quote_model is not None and self.workbench:
            LastView(
                datetime.now(UTC),
                Table.of(self.quote_model),
                Table.of(self.workbench.sessions.model),
            ).save(self._last_view_path)
        if self.settings is None:
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState())
        for name, splitter in self._splitters().items():
            self.settings.setValue(f"splitters/{name}", splitter.saveState())
        for name, view in self._tables().items():
            self.settings.setValue(f"tables/{name}", view.horizontalHeader().saveState())
        self.settings.sync()

    # ------------------------------------------------------------------ errors

    def show_unexpected(self, error: BaseException, log_file: str) -> None:
        """Tell the trader that something failed unexpectedly, without a traceback."""
        message = (
            f"Something went wrong: {error}\n\nTrading goes on; the details are in {log_file}. "
            "If it happens again, please send that file."
        )
        self.report(f"Unexpected error: {error} (details in the log)")
        if self._error_box is not None and self._error_box.isVisible():
            self._error_box.setText(message)  # one box, the latest error
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", message, parent=self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._on_error_box_closed)
        self._error_box = box
        box.show()

    def _on_error_box_closed(self) -> None:
        self._error_box = None

    def quit_now(self) -> None:
        """Close without asking (a termination signal, the smoke test)."""
        self._quitting = True
        self.close()

    def running_sessions(self) -> list[SessionSnapshot]:
        """Return the sessions that trade now."""
        from livetrader_gui.domain import SessionStatus

        if self._desk is None:
            return []
        return [s for s in self._desk.sessions() if s.status is SessionStatus.RUNNING]

    def closeEvent(self, event: QCloseEvent) -> None:
        running = [] if self._quitting else self.running_sessions()
        if running:
            names = ", ".join(s.strategy_name for s in running[:3])
            more = f" and {len(running) - 3} more" if len(running) > 3 else ""
            question = (
                f"{len(running)} session(s) are trading: {names}{more}.\n\n"
                "If you quit, they stop trading now; open orders stay with the broker. "
                "They come back PAUSED the next time LiveTrader starts, reconciled with the "
                "broker, and you resume them when you are ready.\n\nQuit LiveTrader?"
            )
            if not self.confirm("Quit with sessions running", question):
                event.ignore()
                return
        self._quitting = True
        self.save_layout()
        self.closed.emit()
        super().closeEvent(event)

    def tell_unclean_shutdown(self, started: str, differences: Sequence[str]) -> None:
        """Say that the last run did not stop cleanly, and what reconciliation found."""
        found = (
            "Reconciliation found these differences; the sessions stay paused until you have "
            "checked them:\n\n" + "\n".join(f"• {d}" for d in differences)
            if differences
            else "Reconciliation found no difference between the records and the brokers."
        )
        message = (
            f"LiveTrader did not stop cleanly last time (the run started {started} recorded "
            f"no stop: a crash, a kill or a power cut). Every session came back PAUSED.\n\n"
            f"{found}"
        )
        self.report("The last run did not stop cleanly; the sessions came back paused")
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Last run did not stop cleanly", message, parent=self
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.unclean_box = box
        box.show()
