"""The go-live gate: five checks, each with the evidence the trader sees."""

from __future__ import annotations

from decimal import Decimal

from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.ports import (
    BrokerError,
    Clock,
    IBacktestRepository,
    IBrokerGateway,
    IBrokerRegistry,
    IPaperTradingSessionRepository,
)
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import (
    PreRequisiteCheck,
    PrerequisiteItem,
    PrerequisiteKind,
    Strategy,
)
from livetrader_gui.domain.values import plain


def _money(amount: Decimal) -> str:
    return f"{amount:,.0f}"


class PrerequisiteChecker:
    """Runs ``check_prerequisites``.

    Evidence counts only for the strategy's current rules hash. Paper days are distinct
    trading days with paper activity, across sessions. The account check asks the broker.
    """

    def __init__(
        self,
        registry: IBrokerRegistry,
        backtests: IBacktestRepository,
        paper_sessions: IPaperTradingSessionRepository,
        clock: Clock,
        limits: RunnerLimits,
    ) -> None:
        self._registry = registry
        self._backtests = backtests
        self._paper = paper_sessions
        self._clock = clock
        self._limits = limits

    async def check(self, strategy: Strategy, broker_id: str | None) -> PreRequisiteCheck:
        """Return the five checks for *strategy* on *broker_id* (any healthy broker if None)."""
        backtest, sharpe = await self._backtest(strategy)
        paper, days = await self._paper_days(strategy)
        gateway = self._gateway(broker_id)
        items = (
            backtest,
            paper,
            self._risk(strategy),
            self._broker(gateway, broker_id),
            await self._account(gateway),
        )
        return PreRequisiteCheck(
            strategy_id=strategy.id,
            rules_hash=strategy.rules_hash,
            items=items,
            checked_at=self._clock.now(),
            backtest_sharpe=sharpe,
            paper_trading_days=days,
        )

    async def _backtest(self, strategy: Strategy) -> tuple[PrerequisiteItem, Decimal | None]:
        kind = PrerequisiteKind.BACKTEST
        threshold = strategy.risk_config.require_backtest_sharpe
        result = await self._backtests.get_latest_by_strategy(strategy.id, strategy.rules_hash)
        if result is None:
            return PrerequisiteItem(kind, False, "no backtest of the current rules"), None
        sharpe = result.metrics.sharpe_ratio
        if sharpe is None:
            evidence = "the latest backtest has no Sharpe ratio (its returns never varied)"
            return PrerequisiteItem(kind, False, evidence), None
        passed = sharpe >= threshold
        sign = "≥" if passed else "<"
        return PrerequisiteItem(kind, passed, f"Sharpe {sharpe:.2f} {sign} {threshold:.2f}"), sharpe

    async def _paper_days(self, strategy: Strategy) -> tuple[PrerequisiteItem, int]:
        sessions = await self._paper.get_by_strategy(strategy.id, strategy.rules_hash)
        days = len(set().union(*(s.trading_days for s in sessions)))
        required = strategy.risk_config.require_paper_trading_days
        evidence = f"{days} of {required} paper days"
        return PrerequisiteItem(PrerequisiteKind.PAPER_TRADING, days >= required, evidence), days

    @staticmethod
    def _risk(strategy: Strategy) -> PrerequisiteItem:
        controls = strategy.risk_config.controls
        parts = [
            f"max {controls.max_positions} positions",
            f"{plain(controls.max_position_size_pct)} % per position",
            f"{plain(controls.max_daily_loss_pct)} % daily loss",
        ]
        if controls.stop_loss_pct is not None:
            parts.append(f"stop-loss {plain(controls.stop_loss_pct)} %")
        if controls.take_profit_pct is not None:
            parts.append(f"take-profit {plain(controls.take_profit_pct)} %")
        kind = PrerequisiteKind.RISK_PARAMETERS
        if strategy.position_pct > controls.max_position_size_pct:
            evidence = (
                f"each entry asks for {plain(strategy.position_pct)} % of equity, above the "
                f"{plain(controls.max_position_size_pct)} % position limit"
            )
            return PrerequisiteItem(kind, False, evidence)
        return PrerequisiteItem(kind, True, ", ".join(parts))

    def _gateway(self, broker_id: str | None) -> IBrokerGateway | None:
        if broker_id is not None:
            return self._registry.get(broker_id)
        healthy = self._registry.get_healthy()
        return healthy[0] if healthy else None

    def _broker(self, gateway: IBrokerGateway | None, broker_id: str | None) -> PrerequisiteItem:
        kind = PrerequisiteKind.BROKER_CONNECTED
        if gateway is None:
            evidence = (
                f"no broker '{broker_id}' is registered"
                if broker_id is not None
                else "no broker is connected"
            )
            return PrerequisiteItem(kind, False, evidence)
        health = self._registry.health(gateway.broker_id)
        return PrerequisiteItem(kind, health.healthy, f"{gateway.display_name}: {health.detail}")

    async def _account(self, gateway: IBrokerGateway | None) -> PrerequisiteItem:
        kind = PrerequisiteKind.ACCOUNT_VERIFIED
        if gateway is None:
            return PrerequisiteItem(kind, False, "no broker to ask")
        try:
            account = await within(self._clock, gateway.get_account(), self._limits.broker_timeout)
        except (BrokerError, TimeoutError) as error:
            return PrerequisiteItem(kind, False, f"the broker did not confirm the account: {error}")
        problems = account.verification_problems()
        if problems:
            return PrerequisiteItem(kind, False, "; ".join(problems))
        return PrerequisiteItem(
            kind,
            True,
            f"account {account.account_id} active, buying power "
            f"{_money(account.buying_power)} {account.currency}",
        )
