"""The strategy editor: formulas checked as they are typed, files, and a backtest with its curve.

Each rule is checked a moment after the last key press; a problem is underlined where it is and
named under the field ("unknown function 'smaa' at column 9 — did you mean 'sma'?"). Save stays
disabled while a rule has a problem. A saved strategy with new rules is a new version: its old
backtest and paper days no longer count, and the editor says so before saving. The backtest runs
the saved version off the GUI thread, with progress and cancel, and shows the equity curve and
the metrics the go-live gate reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.application.desk import (
    BACKTEST_MONTHS,
    BacktestRun,
    BacktestSettings,
    TradingDesk,
)
from livetrader_gui.domain import BacktestResult, DomainError, RiskConfig, RiskControls, Strategy
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import plain
from livetrader_gui.processing.backtest import ExitPrices
from livetrader_gui.ui.backtest_controls import BacktestControls
from livetrader_gui.ui.charts.axes import BarTimeAxis, NumberAxis, theme_plot
from livetrader_gui.ui.colours import PALETTE, Tone, style_label
from livetrader_gui.ui.commands import CommandRunner, Confirm
from livetrader_gui.ui.theme import CHART_BACKGROUND

VALIDATE_DELAY_MS = 200
NEW = "__new__"
# The form's numbers: key, label, what a new strategy starts from.
NUMBER_FIELDS = (
    ("position_pct", "Each entry, % of equity", "10"),
    ("max_positions", "Open positions at most", "5"),
    ("max_position_size_pct", "Largest position, % of equity", "20"),
    ("max_daily_loss_pct", "Daily loss limit, %", "3"),
    ("stop_loss_pct", "Stop-loss, % (empty: none)", ""),
    ("take_profit_pct", "Take-profit, % (empty: none)", ""),
    ("require_backtest_sharpe", "Gate: backtest Sharpe at least", "1.0"),
    ("require_paper_trading_days", "Gate: paper-trading days", "5"),
)
DEFAULT_EXCHANGE = "XKRX"
EXIT_CHOICES = (
    (ExitPrices.RANGE, "at their level, when the minute reaches it"),
    (ExitPrices.CLOSE, "at the close of the minute that reaches it"),
)


class RuleEdit(QPlainTextEdit):
    """A formula field that underlines its first problem and names every one below it."""

    checked = Signal()

    def __init__(self, desk: TradingDesk, parent: Any = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self.setTabChangesFocus(True)
        self.setFixedHeight(56)
        self.problems_label = QLabel("")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {PALETTE.css(Tone.BAD)};")
        self.problems: tuple[Any, ...] = ()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate)
        self.textChanged.connect(self._timer.start)

    def rule(self) -> str:
        """Return the formula as typed."""
        return self.toPlainText().strip()

    def validate(self) -> None:
        """Check the formula now and mark what is wrong."""
        self._timer.stop()
        text = self.toPlainText()
        self.problems = self._desk.validate_rule(text) if text.strip() else ()
        marks = []
        for problem in self.problems:
            if problem.position is None:
                continue
            mark = QTextEdit.ExtraSelection()
            style = QTextCharFormat()
            style.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            bad = PALETTE.colour(Tone.BAD)
            style.setUnderlineColor(bad)
            style.setBackground(QColor(bad.red(), bad.green(), bad.blue(), 40))
            mark.format = style
            cursor = QTextCursor(self.document())
            start = min(problem.position, max(len(text) - 1, 0))
            cursor.setPosition(start)
            cursor.setPosition(min(start + 1, len(text)), QTextCursor.MoveMode.KeepAnchor)
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfWord, QTextCursor.MoveMode.KeepAnchor
            )
            mark.cursor = cursor
            marks.append(mark)
        self.setExtraSelections(marks)
        if not text.strip():
            self.problems_label.setText("A rule is needed.")
        else:
            self.problems_label.setText("\n".join(p.message for p in self.problems))
        self.checked.emit()

    @property
    def valid(self) -> bool:
        """Tell whether the rule, as last checked, has no problem."""
        return bool(self.rule()) and not self.problems


class StrategyEditor(QDialog):
    """Write, check, save, import, export and backtest strategies."""

    saved = Signal(object)  # Strategy

    def __init__(
        self,
        desk: TradingDesk,
        commands: CommandRunner,
        confirm: Confirm,
        broker_id: str,
        parent: QWidget | None = None,
        timezone: str = "UTC",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Strategy editor")
        self.resize(1000, 700)
        self._desk = desk
        self._commands = commands
        self._confirm = confirm
        self._broker_id = broker_id
        self.strategies: dict[str, Strategy] = {}
        self.current: Strategy | None = None  # the saved version being edited, if any
        self.closing = False
        self.import_error: QMessageBox | None = None

        self.picker = QComboBox()
        self.picker.addItem("New strategy", NEW)
        self.name = QLineEdit()
        self.symbols = QLineEdit()
        self.symbols.setPlaceholderText("005930, 000660")
        self.exchange = QLineEdit(DEFAULT_EXCHANGE)
        self.entry = RuleEdit(desk)
        self.exit = RuleEdit(desk)
        self.entry.setPlaceholderText("close > sma(close, 20) and rsi(close, 14) < 30")
        self.exit.setPlaceholderText("rsi(close, 14) > 70")
        self.numbers: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.addRow("Strategy", self.picker)
        form.addRow("Name", self.name)
        form.addRow("Symbols", self.symbols)
        form.addRow("Exchange", self.exchange)
        form.addRow("Entry rule", self.entry)
        form.addRow("", self.entry.problems_label)
        form.addRow("Exit rule", self.exit)
        form.addRow("", self.exit.problems_label)
        for key, label, default in NUMBER_FIELDS:
            field = QLineEdit(default)
            self.numbers[key] = field
            form.addRow(label, field)

        self.save_button = QPushButton("Save")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the saved strategy (not while a session uses it)")
        self.backtest_button = QPushButton("Backtest")
        self.backtest_controls = BacktestControls()
        self.progress = self.backtest_controls.progress
        self.cancel_button = self.backtest_controls.cancel_button
        self.form_problem = QLabel("")
        self.form_problem.setWordWrap(True)
        style_label(self.form_problem, Tone.BAD)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in (
            self.save_button,
            self.import_button,
            self.export_button,
            self.delete_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        # How the backtest runs: its period, money and costs, shown and set before it runs.
        self.period = QComboBox()
        for months in BACKTEST_MONTHS:
            self.period.addItem(f"last {months} month{'s' if months > 1 else ''}", months)
        self.period.setCurrentIndex(self.period.findData(BacktestSettings().months))
        defaults = BacktestSettings()
        self.capital = QLineEdit(f"{defaults.capital:,.0f}")
        self.commission = QLineEdit(plain(defaults.costs.commission_rate * 100))
        self.sell_tax = QLineEdit(plain(defaults.costs.sell_tax_rate * 100))
        self.slippage = QSpinBox()
        self.slippage.setRange(0, 100)
        self.slippage.setSuffix(" ticks")
        self.exits = QComboBox()
        for exits, label in EXIT_CHOICES:
            self.exits.addItem(label, exits)
        settings = QFormLayout()
        settings.addRow("Period", self.period)
        settings.addRow("Capital", self.capital)
        settings.addRow("Commission, % a side", self.commission)
        settings.addRow("Sell tax, %", self.sell_tax)
        settings.addRow("Slippage on market orders", self.slippage)
        settings.addRow("Stops and targets fill", self.exits)
        settings.addRow("", self.backtest_button)
        self.settings_box = QGroupBox("Backtest")
        self.settings_box.setLayout(settings)

        # By bar, labelled by date: nights and weekends take no room; money written in full.
        self.curve_dates = BarTimeAxis(ZoneInfo(timezone))
        self.curve = pg.PlotWidget(axisItems={"bottom": self.curve_dates, "left": NumberAxis()})
        self.curve.setBackground(CHART_BACKGROUND[PALETTE.theme])
        self.curve.showGrid(x=True, y=True, alpha=0.2)
        self.curve.setLabel("left", "Equity")
        self.curve.getAxis("left").setWidth(84)
        self.peak_line = self.curve.plot([], [], pen=pg.mkPen(None))
        self.equity_line = self.curve.plot([], [], pen=pg.mkPen("#1e88e5", width=2))
        # The drawdown: the gap between the equity and its running peak, shaded.
        self.drawdown = pg.FillBetweenItem(
            self.peak_line, self.equity_line, brush=(229, 57, 53, 70)
        )
        self.curve.addItem(self.drawdown)
        PALETTE.changed.connect(self._on_palette_changed)
        self._on_palette_changed()
        self.metrics: dict[str, QLabel] = {}
        results = QFormLayout()
        for label in (
            "Total return",
            "CAGR",
            "Sharpe",
            "Sortino",
            "Max drawdown",
            "Win rate",
            "Trades",
            "Exposure",
        ):
            self.metrics[label] = QLabel("—")
            results.addRow(label, self.metrics[label])
        self.curve_message = QLabel("")
        self.curve_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.curve_message.setWordWrap(True)
        self.curve_pages = QStackedWidget()
        self.curve_pages.addWidget(self.curve_message)
        self.curve_pages.addWidget(self.curve)
        self.result_title = QLabel("Backtest of the saved version")
        self.result_title.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.result_title)
        right_layout.addWidget(self.curve_pages, 1)
        right_layout.addLayout(results)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.form_problem)
        left_layout.addWidget(self.settings_box)
        left_layout.addWidget(self.backtest_controls)
        left_layout.addWidget(self.status)
        left_layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([560, 440])
        QVBoxLayout(self).addWidget(splitter)

        self.picker.currentIndexChanged.connect(self._on_picked)
        for rule in (self.entry, self.exit):
            rule.checked.connect(self._refresh)
        for field in (self.name, self.symbols, self.exchange, *self.numbers.values()):
            field.textChanged.connect(self._refresh)
        self.save_button.clicked.connect(self.save)
        self.backtest_button.clicked.connect(self.backtest)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        for setting in (self.capital, self.commission, self.sell_tax):
            setting.textChanged.connect(self._refresh)
        self.clear_result("Pick a saved strategy to see its backtest.")
        self._refresh()
        commands.run("Loading strategies", desk.strategies(), self._on_strategies)

    # ------------------------------------------------------------------ loading

    def _on_strategies(self, strategies: list[Strategy], chosen: str | None = None) -> None:
        if self.closing:
            return
        self.strategies = {s.id: s for s in strategies}
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItem("New strategy", NEW)
        for strategy in sorted(strategies, key=lambda s: s.name.lower()):
            self.picker.addItem(strategy.name, strategy.id)
        self.picker.blockSignals(False)
        if chosen is not None:
            self.picker.setCurrentIndex(max(0, self.picker.findData(chosen)))

    def _on_picked(self) -> None:
        chosen = self.picker.currentData()
        self.current = self.strategies.get(chosen) if chosen != NEW else None
        self.fill(self.current)
        self.show_stored(self.current)

    def show_stored(self, strategy: Strategy | None) -> None:
        """Show the backtest stored for *strategy*'s current rules, or say there is none."""
        if strategy is None:
            self.clear_result("A new strategy has no backtest yet: save it, then Backtest.")
            return
        self.clear_result(f"Looking for a backtest of '{strategy.name}'…")

        def shown(result: BacktestResult | None) -> None:
            if self.closing or self.current is None or self.current.id != strategy.id:
                return  # another strategy was picked meanwhile
            if result is None:
                self.clear_result(
                    f"No backtest of this version of '{strategy.name}' yet: Backtest runs one "
                    "and draws its equity curve here."
                )
            else:
                self.show_result(result, stored=True)

        self._commands.run(
            "Loading the backtest", self._desk.stored_backtest(strategy), shown, self._say_failed
        )

    def fill(self, strategy: Strategy | None) -> None:
        """Show *strategy* in the fields (None: a new one, from the defaults)."""
        if strategy is None:
            for field in (self.name, self.symbols, self.entry, self.exit):
                field.clear()
            self.exchange.setText(DEFAULT_EXCHANGE)
            for key, _, default in NUMBER_FIELDS:
                self.numbers[key].setText(default)
            return
        controls = strategy.risk_config.controls
        self.name.setText(strategy.name)
        self.symbols.setText(", ".join(strategy.symbols))
        self.exchange.setText(strategy.exchange)
        self.entry.setPlainText(strategy.entry_rule)
        self.exit.setPlainText(strategy.exit_rule)
        values: dict[str, Decimal | int | None] = {
            "position_pct": strategy.position_pct,
            "max_positions": controls.max_positions,
            "max_position_size_pct": controls.max_position_size_pct,
            "max_daily_loss_pct": controls.max_daily_loss_pct,
            "stop_loss_pct": controls.stop_loss_pct,
            "take_profit_pct": controls.take_profit_pct,
            "require_backtest_sharpe": strategy.risk_config.require_backtest_sharpe,
            "require_paper_trading_days": strategy.risk_config.require_paper_trading_days,
        }
        for key, value in values.items():
            text = (
                ""
                if value is None
                else (plain(value) if isinstance(value, Decimal) else str(value))
            )
            self.numbers[key].setText(text)
        self.entry.validate()
        self.exit.validate()

    # ------------------------------------------------------------------ the form

    def strategy(self) -> Strategy:
        """Return the strategy the fields describe; a ``ValueError`` names the field at fault."""
        now = self._desk.now()
        base = self.current
        controls = RiskControls(
            max_positions=self._integer("max_positions", "open positions at most"),
            max_position_size_pct=self._decimal("max_position_size_pct", "largest position"),
            max_daily_loss_pct=self._decimal("max_daily_loss_pct", "daily loss limit"),
            stop_loss_pct=self._decimal("stop_loss_pct", "stop-loss", optional=True),
            take_profit_pct=self._decimal("take_profit_pct", "take-profit", optional=True),
        )
        risk = RiskConfig(
            controls,
            require_backtest_sharpe=self._decimal("require_backtest_sharpe", "gate Sharpe"),
            require_paper_trading_days=self._integer(
                "require_paper_trading_days", "gate paper-trading days"
            ),
        )
        return Strategy(
            id=base.id if base is not None else f"st-{uuid.uuid4().hex[:12]}",
            name=self.name.text().strip(),
            symbols=tuple(s.strip() for s in self.symbols.text().split(",") if s.strip()),
            exchange=self.exchange.text().strip(),
            entry_rule=self.entry.rule(),
            exit_rule=self.exit.rule(),
            risk_config=risk,
            position_pct=self._decimal("position_pct", "each entry"),
            created_at=base.created_at if base is not None else now,
            updated_at=now,
        )

    def backtest_settings(self) -> BacktestSettings:
        """Return the backtest's settings; a ``ValueError`` names the field at fault."""

        def number(field: QLineEdit, label: str) -> Decimal:
            text = field.text().strip().replace(",", "")
            try:
                return Decimal(text)
            except InvalidOperation:
                raise ValueError(f"backtest {label}: '{text}' is not a number") from None

        try:
            costs = TradingCosts(
                number(self.commission, "commission") / 100,
                number(self.sell_tax, "sell tax") / 100,
                self.slippage.value(),
            )
        except DomainError as error:
            raise ValueError(f"backtest costs: {error}") from None
        return BacktestSettings(
            months=int(self.period.currentData()),
            capital=number(self.capital, "capital"),
            costs=costs,
            exits=self.exits.currentData(),
        )

    def _decimal(self, key: str, label: str, *, optional: bool = False) -> Any:
        text = self.numbers[key].text().strip().replace(",", "")
        if not text and optional:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{label}: '{text}' is not a number") from None

    def _integer(self, key: str, label: str) -> int:
        text = self.numbers[key].text().strip()
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{label}: '{text}' is not a whole number") from None

    def _refresh(self) -> None:
        rules_ok = self.entry.valid and self.exit.valid
        busy = self.backtest_controls.running
        edited: Strategy | None = None
        problem = None
        if rules_ok:
            try:
                edited = self.strategy()
            except (ValueError, DomainError) as error:
                problem = str(error)
        self.save_button.setEnabled(edited is not None and not busy)
        self.export_button.setEnabled(edited is not None)
        saved = self.current
        # The backtest is evidence for the saved version: the fields must still show it.
        unsaved = (
            saved is None or edited is None or replace(edited, updated_at=saved.updated_at) != saved
        )
        settings_problem = None
        try:
            self.backtest_settings()
        except ValueError as error:
            settings_problem = str(error)
        self.backtest_button.setEnabled(not busy and not unsaved and settings_problem is None)
        self.backtest_button.setToolTip(
            "Save the strategy first: the backtest is evidence for the saved version"
            if unsaved
            else f"Backtest the saved version on {self._broker_id}'s history"
        )
        self.delete_button.setEnabled(saved is not None and not busy)
        if problem is not None:
            self.form_problem.setText(problem)
        elif not rules_ok:
            self.form_problem.setText(f"Fix the rules to save: {self._rule_problem()}")
        else:
            self.form_problem.setText(settings_problem or "")

    def _rule_problem(self) -> str:
        """Name the first rule at fault and its first problem."""
        for name, rule in (("entry rule", self.entry), ("exit rule", self.exit)):
            if not rule.rule():
                return f"the {name} is empty"
            if rule.problems:
                return f"{name}: {rule.problems[0].message}"
        return "the rules are being checked"

    # ------------------------------------------------------------------ save, files

    def save(self) -> None:
        """Save the strategy in the fields, asking first when that voids its evidence."""
        try:
            strategy = self.strategy()
        except (ValueError, DomainError) as error:
            self.status.setText(str(error))
            return
        known = self.strategies.get(strategy.id)
        if known is not None and known.rules_hash != strategy.rules_hash:
            question = (
                f"Saving changes the rules or risk settings of '{known.name}'. Its backtest "
                "and paper-trading days count only for the old version: the go-live checks "
                "will need new ones.\n\nSave anyway?"
            )
            if not self._confirm("Save strategy", question):
                return
        elif known is not None and self.current is None:
            question = f"A saved strategy '{known.name}' has the same id. Replace it?"
            if not self._confirm("Replace strategy", question):
                return
        self._commands.run("Save strategy", self._saved(strategy), failed=self._say_failed)

    async def _saved(self, strategy: Strategy) -> None:
        await self._desk.save_strategy(strategy, self._broker_id)
        if self.closing:
            return
        self.strategies[strategy.id] = strategy
        self._on_strategies(list(self.strategies.values()), strategy.id)
        self.current = strategy
        self._say(f"Saved '{strategy.name}'.")
        self._refresh()
        self.saved.emit(strategy)

    def _say(self, message: str, tone: Tone | None = None) -> None:
        """Tell the trader, in the editor, how a command went."""
        self.status.setText(message)
        style_label(self.status, tone)

    def _say_failed(self, message: str) -> None:
        if not self.closing:
            self._say(message, Tone.BAD)

    def delete(self) -> None:
        """Delete the saved strategy being edited, after asking."""
        strategy = self.current
        if strategy is None:
            return
        question = (
            f"Delete the strategy '{strategy.name}'?\n\nSessions that ran it keep the version "
            "they ran, and its backtests and paper days stay in the records; the strategy "
            "itself can no longer be edited or started."
        )
        if not self._confirm("Delete strategy", question):
            return
        self._commands.run("Delete strategy", self._deleted(strategy), failed=self._say_failed)

    async def _deleted(self, strategy: Strategy) -> None:
        await self._desk.delete_strategy(strategy.id)
        if self.closing:
            return
        self.strategies.pop(strategy.id, None)
        self._on_strategies(list(self.strategies.values()), NEW)
        self._on_picked()
        self._say(f"Deleted '{strategy.name}'.")

    def import_from(self, path: Path) -> None:
        """Load the strategy file at *path* into the fields, unsaved."""
        self._commands.run(
            "Import",
            self._desk.import_strategy(path),
            self._on_imported,
            lambda message: self._import_failed(path, message),
        )

    def _import_failed(self, path: Path, message: str) -> None:
        if self.closing:
            return
        self._say(message, Tone.BAD)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Import failed",
            f"{path.name} could not be imported.\n\n{message.removeprefix('Import failed: ')}",
            parent=self,
        )
        box.setModal(False)  # the sessions' loop keeps turning while the trader reads it
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_error = box
        box.show()

    def _on_imported(self, strategy: Strategy) -> None:
        if self.closing:
            return
        self.picker.blockSignals(True)
        self.picker.setCurrentIndex(0)
        self.picker.blockSignals(False)
        self.current = None
        self.fill(strategy)
        self._say(f"Imported '{strategy.name}': not saved yet.")
        self._refresh()

    def export_to(self, path: Path, *, overwrite: bool = False) -> None:
        """Write the strategy in the fields to *path*."""
        try:
            strategy = self.strategy()
        except (ValueError, DomainError) as error:
            self.status.setText(str(error))
            return
        self._commands.run(
            "Export",
            self._desk.export_strategy(strategy, path, overwrite=overwrite),
            lambda _: self._say(f"Exported to {path}."),
            self._say_failed,
        )

    def export_path(self) -> Path:
        """Return where an export is offered: the documents folder, named after the strategy."""
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())
        name = re.sub(r"[^\w\-]+", "-", self.name.text().strip()).strip("-") or "strategy"
        return Path(folder) / f"{name}.toml"

    def _on_delete_clicked(self) -> None:
        self.delete()

    def _on_import_clicked(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, "Import a strategy", folder, "Strategy files (*.toml)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.import_from(Path(name)))
        dialog.open()

    def _on_export_clicked(self) -> None:
        dialog = QFileDialog(
            self, "Export the strategy", str(self.export_path()), "Strategy files (*.toml)"
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("toml")
        # The dialog has asked about replacing an existing file by the time it answers.
        dialog.fileSelected.connect(lambda name: self.export_to(Path(name), overwrite=True))
        dialog.open()

    # ------------------------------------------------------------------ backtest

    def backtest(self) -> None:
        """Backtest the saved version, off the GUI thread."""
        strategy = self.current
        if strategy is None or self.backtest_controls.running:
            return
        try:
            settings = self.backtest_settings()
        except ValueError as error:
            self._say(str(error), Tone.BAD)
            return
        self._say(f"Backtesting '{strategy.name}' over the {self.period.currentText()}…")
        running = self.backtest_controls.run(
            lambda progress, cancel: self._desk.run_backtest(
                strategy, self._broker_id, settings=settings, progress=progress, cancel=cancel
            )
        )
        self._commands.run("Backtest", self._backtested(running), failed=self._say_failed)
        self._refresh()

    async def _backtested(self, running: Awaitable[BacktestRun | None]) -> None:
        try:
            run = await running
        finally:
            if not self.closing:
                self._refresh()
        if self.closing:
            return
        if run is None:
            self._say("Backtest cancelled: nothing was stored.")
            return
        self.show_run(run)

    def show_run(self, run: BacktestRun) -> None:
        """Draw the equity curve and fill in the metrics of a backtest just run."""
        self.show_result(run.result, stored=False)

    def clear_result(self, message: str) -> None:
        """Show *message* where the curve goes, and no figures."""
        self.curve_message.setText(message)
        self.curve_pages.setCurrentWidget(self.curve_message)
        self.result_title.setText("Backtest of the saved version")
        for label in self.metrics.values():
            label.setText("—")

    def show_result(self, result: BacktestResult, *, stored: bool) -> None:
        """Draw the daily equity curve of *result* with its drawdown, and its metrics."""
        if result.curve:
            values = np.array([float(value) for _, value in result.curve])
            days = np.arange(len(values), dtype=float)
            self.curve_dates.starts = np.array([at.timestamp() for at, _ in result.curve])
            self.equity_line.setData(days, values)
            self.peak_line.setData(days, np.maximum.accumulate(values))
            self.curve.getPlotItem().enableAutoRange()
            self.curve_pages.setCurrentWidget(self.curve)
        else:
            self.curve_message.setText(
                "This backtest was stored before LiveTrader kept curves: run it again to draw it."
            )
            self.curve_pages.setCurrentWidget(self.curve_message)
        costs = result.costs
        charged = (
            ""
            if costs is None
            else f", commission {plain(costs.commission_rate * 100)} %, sell tax "
            f"{plain(costs.sell_tax_rate * 100)} %, slippage {costs.slippage_ticks} tick(s)"
        )
        when = f"stored {result.created_at:%Y-%m-%d %H:%M}" if stored else "just run"
        self.result_title.setText(
            f"Backtest of the saved version ({when}): {result.start:%Y-%m-%d} to "
            f"{result.end:%Y-%m-%d}, capital {result.initial_capital:,.0f}{charged}"
        )
        m = result.metrics

        def pct(value: Decimal) -> str:
            return f"{value:.2f} %"

        def ratio(value: Decimal | None) -> str:
            return "none" if value is None else f"{value:.2f}"

        for label, text in {
            "Total return": pct(m.total_return_pct),
            "CAGR": pct(m.cagr_pct),
            "Sharpe": ratio(m.sharpe_ratio),
            "Sortino": ratio(m.sortino_ratio),
            "Max drawdown": pct(m.max_drawdown_pct),
            "Win rate": pct(m.win_rate_pct),
            "Trades": str(m.num_trades),
            "Exposure": pct(m.exposure_pct),
        }.items():
            self.metrics[label].setText(text)
        if not stored:
            self._say(
                f"Backtest stored as evidence for this version: Sharpe {ratio(m.sharpe_ratio)}."
            )

    def _on_palette_changed(self) -> None:
        self.curve.setBackground(CHART_BACKGROUND[PALETTE.theme])
        theme_plot(self.curve.getPlotItem(), PALETTE.theme.value)

    def done(self, result: int) -> None:
        self.closing = True
        self.backtest_controls.cancel()
        super().done(result)
