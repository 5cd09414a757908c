"""The go-live wizard: choose, review the risk, see the evidence, then Start.

Three pages: the strategy, broker, symbols and mode; the risk controls the session will
enforce; the five go-live checks with their evidence. Start (the wizard's finish button) stays
disabled until every check has passed for the strategy's current rules, and, on a broker that
moves real money, until the trader has ticked an explicit confirmation. From the checks page the
trader can run the missing backtest (off the GUI thread, with progress and cancel) or start
paper trading to collect paper days. A paper session needs no gate: it moves no money.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from livetrader_gui.application.desk import BacktestRun, BrokerChoice, TradingDesk
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.domain import (
    DEFAULT_PAPER_CAPITAL,
    ExecutionMode,
    PreRequisiteCheck,
    PrerequisiteKind,
    Strategy,
)
from livetrader_gui.domain.values import plain
from livetrader_gui.ui.backtest_controls import BacktestControls
from livetrader_gui.ui.colours import PALETTE, Tone
from livetrader_gui.ui.commands import CommandRunner

PASSED = "✓ passed"
FAILED = "✗ failed"


def _percent(value: Decimal | None) -> str:
    return "none" if value is None else f"{plain(value)} %"


class ChoicePage(QWizardPage):
    """Strategy, broker, symbols, paper or live, AUTO or MANUAL."""

    def __init__(self, wizard: GoLiveWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("What to run")
        self.setSubTitle("Choose the strategy, the broker, the symbols and how orders go out.")
        self.strategy = QComboBox()
        self.details = QLabel("Loading strategies…")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.broker = QComboBox()
        for choice in wizard.brokers:
            self.broker.addItem(_broker_text(choice), choice.broker_id)
        self.symbols = QListWidget()
        self.symbols.setMaximumHeight(110)
        self.paper = QRadioButton("Paper trading: simulated fills on the broker's live quotes")
        self.live = QRadioButton("Live: orders go to the broker")
        self.paper.setChecked(True)
        self._venue = QButtonGroup(self)
        self._venue.addButton(self.paper)
        self._venue.addButton(self.live)
        self.auto = QRadioButton("AUTO: each signal is sent at once")
        self.manual = QRadioButton("MANUAL: each signal waits for your Execute")
        self.auto.setChecked(True)
        self._mode = QButtonGroup(self)
        self._mode.addButton(self.auto)
        self._mode.addButton(self.manual)

        form = QFormLayout(self)
        form.addRow("Strategy", self.strategy)
        form.addRow("", self.details)
        form.addRow("Broker", self.broker)
        form.addRow("Symbols", self.symbols)
        form.addRow("Money", _column(self.paper, self.live))
        form.addRow("Orders", _column(self.auto, self.manual))

        self.strategy.currentIndexChanged.connect(self._on_strategy_changed)
        self.symbols.itemChanged.connect(lambda _: self.completeChanged.emit())

    def fill(self, strategies: list[Strategy], chosen: str | None) -> None:
        """Offer *strategies*, selecting *chosen* (an id) when given."""
        self.strategy.clear()
        for strategy in strategies:
            self.strategy.addItem(strategy.name, strategy.id)
        if not strategies:
            self.details.setText(
                "No strategy yet. Write one in the strategy editor (the demo strategies "
                "appear here once the demo workspace is ready)."
            )
        elif chosen is not None and self.strategy.findData(chosen) >= 0:
            self.strategy.setCurrentIndex(self.strategy.findData(chosen))
        self._on_strategy_changed()

    def _on_strategy_changed(self) -> None:
        strategy = self._wizard.strategy
        self.symbols.clear()
        if strategy is not None:
            self.details.setText(
                f"Entry: {strategy.entry_rule}\nExit: {strategy.exit_rule}\n"
                f"Exchange {strategy.exchange}, {plain(strategy.position_pct)} % of equity "
                "per entry"
            )
            for symbol in strategy.symbols:
                name = self._wizard.names.get(symbol)
                item = QListWidgetItem(f"{symbol} {name}" if name else symbol)
                item.setData(Qt.ItemDataRole.UserRole, symbol)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self.symbols.addItem(item)
        self.completeChanged.emit()

    def chosen_symbols(self) -> tuple[str, ...]:
        """Return the ticked symbols."""
        items = (self.symbols.item(i) for i in range(self.symbols.count()))
        return tuple(
            str(i.data(Qt.ItemDataRole.UserRole))
            for i in items
            if i.checkState() == Qt.CheckState.Checked
        )

    def isComplete(self) -> bool:
        return (
            self._wizard.strategy is not None
            and self.broker.currentIndex() >= 0
            and bool(self.chosen_symbols())
        )


class RiskPage(QWizardPage):
    """The limits the session will enforce, read from the strategy."""

    def __init__(self, wizard: GoLiveWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Risk controls")
        self.setSubTitle(
            "The session enforces these limits on every order. They belong to the strategy: "
            "change them in the strategy editor."
        )
        self.values: dict[str, QLabel] = {}
        form = QFormLayout(self)
        for label in (
            "Each entry",
            "Largest position",
            "Open positions at most",
            "Daily loss limit",
            "Stop-loss",
            "Take-profit",
            "Gate: backtest Sharpe at least",
            "Gate: paper-trading days",
            "Paper capital",
        ):
            self.values[label] = QLabel()
            form.addRow(label, self.values[label])

    def initializePage(self) -> None:
        strategy = self._wizard.strategy
        if strategy is None:
            return
        risk = strategy.risk_config
        controls = risk.controls
        shown = {
            "Each entry": f"{plain(strategy.position_pct)} % of equity",
            "Largest position": f"{plain(controls.max_position_size_pct)} % of equity",
            "Open positions at most": str(controls.max_positions),
            "Daily loss limit": (
                f"{plain(controls.max_daily_loss_pct)} % of the day's starting equity: then "
                "exits only"
            ),
            "Stop-loss": _percent(controls.stop_loss_pct),
            "Take-profit": _percent(controls.take_profit_pct),
            "Gate: backtest Sharpe at least": f"{risk.require_backtest_sharpe:.2f}",
            "Gate: paper-trading days": str(risk.require_paper_trading_days),
            "Paper capital": (
                f"{self._wizard.paper_capital:,.0f}" if self._wizard.is_paper else "not used"
            ),
        }
        for label, text in shown.items():
            self.values[label].setText(text)


class ChecksPage(QWizardPage):
    """The five go-live checks with their evidence; Start is this page's finish button."""

    def __init__(self, wizard: GoLiveWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Go-live checks")
        self.setFinalPage(True)
        self.check: PreRequisiteCheck | None = None
        self.checking = False
        self.starting = False
        self.needs_consent = False
        self.table = QTableWidget(len(PrerequisiteKind), 3)
        self.table.setHorizontalHeaderLabels(["Check", "Result", "Evidence"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, kind in enumerate(PrerequisiteKind):
            self.table.setItem(row, 0, QTableWidgetItem(kind.label))
        self.recheck_button = QPushButton("Check again")
        self.backtest_button = QPushButton("Run backtest")
        self.paper_button = QPushButton("Start paper trading")
        self.paper_button.setToolTip(
            "Start a paper session of this strategy: each trading day it trades through counts"
        )
        self.backtest_controls = BacktestControls()
        self.progress = self.backtest_controls.progress
        self.cancel_button = self.backtest_controls.cancel_button
        self.real_money = QCheckBox()
        self.real_money.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.recheck_button, self.backtest_button, self.paper_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.backtest_controls)
        layout.addWidget(self.real_money)
        layout.addWidget(self.status)

        self.recheck_button.clicked.connect(self.run_checks)
        self.backtest_button.clicked.connect(self._on_backtest_clicked)
        self.cancel_button.clicked.connect(lambda: self.status.setText("Cancelling the backtest…"))
        self.paper_button.clicked.connect(self._on_paper_clicked)
        self.real_money.toggled.connect(lambda _: self._show())

    def initializePage(self) -> None:
        wizard = self._wizard
        broker = wizard.broker
        self.needs_consent = not wizard.is_paper and broker is not None and broker.is_real_money
        self.real_money.setChecked(False)
        self.real_money.setVisible(self.needs_consent)
        if broker is not None:
            self.real_money.setText(
                f"I understand that this session sends real orders, with real money, to "
                f"{broker.display_name}."
            )
        self.run_checks()

    # ------------------------------------------------------------------ the checks

    def run_checks(self) -> None:
        """Ask the desk for the five checks; Start waits for the answer."""
        strategy, broker = self._wizard.strategy, self._wizard.broker
        if strategy is None or broker is None:
            return
        self.checking = True
        self.check = None
        self.status.setText("Checking…")
        self._refresh()
        self._wizard.commands.run(
            "Go-live checks",
            self._checked(self._wizard.desk.check_prerequisites(strategy, broker.broker_id)),
        )

    async def _checked(self, pending: Any) -> None:
        try:
            self.check = await pending
        finally:
            self.checking = False
            if not self._wizard.closing:
                self._show()

    def _show(self) -> None:
        check = self.check
        for row, kind in enumerate(PrerequisiteKind):
            if check is None:
                result, evidence, tone = "—", "", None
            else:
                item = check.item(kind)
                result = PASSED if item.passed else FAILED
                evidence, tone = item.evidence, Tone.GOOD if item.passed else Tone.BAD
            cell = QTableWidgetItem(result)
            if tone is not None:
                cell.setForeground(PALETTE.colour(tone))
            self.table.setItem(row, 1, cell)
            self.table.setItem(row, 2, QTableWidgetItem(evidence))
        self.table.resizeColumnsToContents()
        self.status.setText(self._verdict())
        self._refresh()

    def _verdict(self) -> str:
        check = self.check
        if self.checking:
            return "Checking…"
        if check is None:
            return "The checks could not be run; see the status bar, then Check again."
        if self._wizard.is_paper:
            return "Paper trading needs no go-live checks: Start opens a paper session."
        if not check.all_passed:
            failed = ", ".join(i.kind.label for i in check.failed_checks)
            return f"Start stays disabled until every check passes. Failing: {failed}."
        if self.needs_consent and not self.real_money.isChecked():
            return "Every check passed. Confirm that this session trades real money to Start."
        return "Every check passed."

    def _refresh(self) -> None:
        check = self.check
        busy = self.checking or self.backtest_controls.running or self.starting
        self.recheck_button.setEnabled(not busy)
        self.backtest_button.setEnabled(
            not busy and check is not None and not check.backtest_passed
        )
        self.paper_button.setEnabled(
            not busy and check is not None and not check.paper_trading_passed
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.checking or self.backtest_controls.running or self.starting:
            return False
        if self._wizard.is_paper:
            return True
        check, strategy = self.check, self._wizard.strategy
        if check is None or strategy is None or check.rules_hash != strategy.rules_hash:
            return False
        if not check.all_passed:
            return False
        return not self.needs_consent or self.real_money.isChecked()

    # ------------------------------------------------------------------ the backtest

    def _on_backtest_clicked(self) -> None:
        strategy, broker = self._wizard.strategy, self._wizard.broker
        if strategy is None or broker is None:
            return
        self.status.setText(f"Backtesting {strategy.name} on {broker.display_name}'s history…")
        running = self.backtest_controls.run(
            lambda progress, cancel: self._wizard.desk.run_backtest(
                strategy, broker.broker_id, progress=progress, cancel=cancel
            )
        )
        self._wizard.commands.run("Backtest", self._backtested(running))
        self._refresh()

    async def _backtested(self, running: Awaitable[BacktestRun | None]) -> None:
        try:
            run = await running
        finally:
            if not self._wizard.closing:
                self._refresh()  # the buttons come back, whatever became of the backtest
        if self._wizard.closing:
            if run is not None:
                self._wizard.report(f"Backtest stored: {_metrics(run)}")
            return
        if run is None:
            self.status.setText("Backtest cancelled: nothing was stored.")
            return
        self._wizard.report(f"Backtest stored: {_metrics(run)}")
        self.run_checks()

    # ------------------------------------------------------------------ paper and start

    def _on_paper_clicked(self) -> None:
        config = self._wizard.config(paper=True)
        if config is None:
            return
        self.starting = True
        self._refresh()
        self._wizard.commands.run("Paper trading", self._started(config, paper=True))

    def start(self) -> None:
        """Start the session the wizard describes (the finish button's work)."""
        config = self._wizard.config(paper=self._wizard.is_paper)
        if config is None or not self.isComplete():
            return
        self.starting = True
        self.status.setText("Starting…")
        self._refresh()
        self._wizard.commands.run("Start session", self._started(config, paper=config.is_paper))

    async def _started(self, config: LiveSessionConfig, *, paper: bool) -> None:
        try:
            session: SessionSnapshot = await self._wizard.desk.start_session(config)
        except BaseException:
            if not self._wizard.closing:
                self.status.setText("The session did not start; the status bar says why.")
            raise
        finally:
            self.starting = False
            if not self._wizard.closing:
                self._refresh()
        kind = "Paper session" if paper else "Session"
        self._wizard.report(f"{kind} {session.session_id} started: {config.strategy.name}")
        if self._wizard.closing:
            return
        self._wizard.session_started.emit(session)
        if paper and not self._wizard.is_paper:
            self.status.setText(
                "Paper session started: each trading day it trades through counts as a paper "
                "day. Come back when it has enough."
            )
            return
        self._wizard.done_starting()


class GoLiveWizard(QWizard):
    """Go live: the gate between a strategy and a running session."""

    session_started = Signal(object)  # SessionSnapshot

    def __init__(
        self,
        desk: TradingDesk,
        commands: CommandRunner,
        report: Any,
        strategy_id: str | None = None,
        parent: QWidget | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.names: Mapping[str, str] = names or {}
        self.desk = desk
        self.commands = commands
        self.report = report
        self.brokers = desk.brokers()
        self.strategies: list[Strategy] = []
        self.paper_capital = DEFAULT_PAPER_CAPITAL
        self._finished = False
        self.closing = False  # set once closed: work still running must not touch the pages
        self.setWindowTitle("Go live")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Start")
        self.choice = ChoicePage(self)
        self.risk = RiskPage(self)
        self.checks = ChecksPage(self)
        for page in (self.choice, self.risk, self.checks):
            self.addPage(page)
        self.resize(760, 520)
        self._chosen = strategy_id
        commands.run("Loading strategies", desk.strategies(), self._on_strategies)

    def _on_strategies(self, strategies: list[Strategy]) -> None:
        self.strategies = sorted(strategies, key=lambda s: s.name.lower())
        self.choice.fill(self.strategies, self._chosen)

    # ------------------------------------------------------------------ what was chosen

    @property
    def strategy(self) -> Strategy | None:
        """Return the chosen strategy."""
        chosen = self.choice.strategy.currentData()
        return next((s for s in self.strategies if s.id == chosen), None)

    @property
    def broker(self) -> BrokerChoice | None:
        """Return the chosen broker."""
        chosen = self.choice.broker.currentData()
        return next((b for b in self.brokers if b.broker_id == chosen), None)

    @property
    def is_paper(self) -> bool:
        """Tell whether the session is to be a paper session."""
        return self.choice.paper.isChecked()

    def config(self, *, paper: bool) -> LiveSessionConfig | None:
        """Return the session set up as chosen (None while a choice is missing)."""
        strategy, broker = self.strategy, self.broker
        if strategy is None or broker is None:
            return None
        return LiveSessionConfig(
            strategy=strategy,
            broker_id=broker.broker_id,
            symbols=self.choice.chosen_symbols(),
            execution_mode=ExecutionMode.MANUAL
            if self.choice.manual.isChecked()
            else ExecutionMode.AUTO,
            is_paper=paper,
        )

    # ------------------------------------------------------------------ Start

    def start_button(self) -> QAbstractButton:
        """Return the Start button."""
        return self.button(QWizard.WizardButton.FinishButton)

    def accept(self) -> None:
        # Start runs on the loop; the wizard closes only once the session has started.
        if self._finished:
            super().accept()
        else:
            self.checks.start()

    def done(self, result: int) -> None:
        self.closing = True
        self.checks.backtest_controls.cancel()  # nobody is left to read its result
        super().done(result)

    def done_starting(self) -> None:
        """Close the wizard after a successful Start."""
        self._finished = True
        self.accept()


def _metrics(run: BacktestRun) -> str:
    metrics = run.result.metrics
    sharpe = "none" if metrics.sharpe_ratio is None else f"{metrics.sharpe_ratio:.2f}"
    return (
        f"Sharpe {sharpe}, {metrics.num_trades} trades, total return "
        f"{metrics.total_return_pct:.2f} %"
    )


def _broker_text(choice: BrokerChoice) -> str:
    money = "real money" if choice.is_real_money else "simulated money"
    state = "connected" if choice.healthy else f"not usable: {choice.detail}"
    return f"{choice.display_name} — {money}, {state}"


def _column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return box
