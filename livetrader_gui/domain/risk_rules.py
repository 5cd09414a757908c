"""The risk rules every order passes, and the protective exits: pure functions, safety critical.

The live runner and the backtester both call them, so the go-live evidence comes from the rules
that trade: the entry check (max positions, position size, the daily loss limit, trading hours
and state), the daily limit and the trading state it leads to, the permission to send, and the
stop-loss and take-profit triggers with the price a protective exit fills at. The runner calls
the entry check again when a trader executes a MANUAL signal on a fresh quote. Every refusal
names each rule it broke, as a reason code (persisted, journalled, shown in the activity log)
with a sentence for the trader. All of this module is covered branch by branch and by a
mutation test (see the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.orders import TradeDirection
from livetrader_gui.domain.session import SessionStatus, TradingState
from livetrader_gui.domain.signals import SignalReason
from livetrader_gui.domain.strategy import RiskControls


class RiskReason(Enum):
    """Why a risk check refused an order (the codes the journal and the replay use)."""

    MAX_POSITIONS = "max_positions"
    POSITION_SIZE = "position_size"
    DAILY_LOSS = "daily_loss"
    OUTSIDE_TRADING_HOURS = "outside_trading_hours"
    HALTED = "halted"
    NO_EQUITY = "no_equity"
    BELOW_ONE_LOT = "below_one_lot"
    SESSION_NOT_RUNNING = "session_not_running"
    EXITS_ONLY = "exits_only"


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The verdict on one proposed order: approved only when no rule objects."""

    reasons: tuple[RiskReason, ...]
    explanations: tuple[str, ...]

    @property
    def approved(self) -> bool:
        """Tell whether the order may go out."""
        return not self.reasons

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the reason codes, e.g. ``("max_positions",)``."""
        return tuple(reason.value for reason in self.reasons)

    @property
    def summary(self) -> str:
        """Return one line for the activity log."""
        return "approved" if self.approved else "; ".join(self.explanations)


@dataclass(frozen=True, slots=True)
class EntryProposal:
    """A new position the runner wants to open, and the book it would join.

    Parameters
    ----------
    open_positions
        Positions held plus entry orders still in flight: both take a slot.
    quantity, price
        The sized order and the price it is expected to fill near.
    equity
        Portfolio value now (cash plus holdings at market).
    daily_pnl
        Realized plus unrealized P&L since the start of the trading day.
    start_of_day_equity
        Equity at the start of the trading day, the base of the daily loss limit.
    """

    open_positions: int
    quantity: Decimal
    price: Decimal
    equity: Decimal
    daily_pnl: Decimal
    start_of_day_equity: Decimal
    within_trading_hours: bool
    trading_state: TradingState


def daily_loss_limit(start_of_day_equity: Decimal, max_daily_loss_pct: Decimal) -> Decimal:
    """Return the loss (a positive amount) at which the day's trading turns to exits only."""
    return start_of_day_equity * max_daily_loss_pct / 100


def is_daily_limit_reached(
    daily_pnl: Decimal, start_of_day_equity: Decimal, max_daily_loss_pct: Decimal
) -> bool:
    """Tell whether the day's P&L has lost the limit or more.

    With no equity at the start of the day there is nothing left to lose: the limit counts as
    reached, so no entry is made on an empty account.
    """
    if start_of_day_equity <= 0:
        return True
    return daily_pnl <= -daily_loss_limit(start_of_day_equity, max_daily_loss_pct)


def position_size_pct(value: Decimal, equity: Decimal) -> Decimal:
    """Return *value* as a percentage of *equity* (which must be positive)."""
    return value / equity * 100


def check_entry(controls: RiskControls, proposal: EntryProposal) -> RiskDecision:
    """Return the verdict on opening the position in *proposal*; every broken rule is named."""
    reasons: list[RiskReason] = []
    explanations: list[str] = []

    def refuse(reason: RiskReason, explanation: str) -> None:
        reasons.append(reason)
        explanations.append(explanation)

    if proposal.trading_state is TradingState.HALTED:
        refuse(RiskReason.HALTED, "trading is halted")
    if not proposal.within_trading_hours:
        refuse(RiskReason.OUTSIDE_TRADING_HOURS, "the market is not in its regular session")
    if proposal.open_positions >= controls.max_positions:
        refuse(
            RiskReason.MAX_POSITIONS,
            f"max positions {proposal.open_positions}/{controls.max_positions}",
        )
    if proposal.quantity <= 0:
        refuse(RiskReason.BELOW_ONE_LOT, "the position budget buys less than one lot")
    if proposal.equity <= 0:
        refuse(RiskReason.NO_EQUITY, f"portfolio equity is {proposal.equity}")
    else:
        size = position_size_pct(proposal.quantity * proposal.price, proposal.equity)
        if size > controls.max_position_size_pct:
            refuse(
                RiskReason.POSITION_SIZE,
                f"position size {size:.2f} % > limit {controls.max_position_size_pct} %",
            )
    if proposal.trading_state is TradingState.REDUCING or is_daily_limit_reached(
        proposal.daily_pnl, proposal.start_of_day_equity, controls.max_daily_loss_pct
    ):
        limit = daily_loss_limit(proposal.start_of_day_equity, controls.max_daily_loss_pct)
        refuse(
            RiskReason.DAILY_LOSS,
            f"daily loss limit reached: P&L {proposal.daily_pnl:.0f} against a limit of "
            f"-{limit:.0f}",
        )
    return RiskDecision(tuple(reasons), tuple(explanations))


def check_exit(trading_state: TradingState, within_trading_hours: bool) -> RiskDecision:
    """Return the verdict on closing a position: allowed unless halted or the market is shut.

    The daily loss limit never blocks an exit: reducing risk is what it asks for.
    """
    reasons: list[RiskReason] = []
    explanations: list[str] = []
    if trading_state is TradingState.HALTED:
        reasons.append(RiskReason.HALTED)
        explanations.append("trading is halted")
    if not within_trading_hours:
        reasons.append(RiskReason.OUTSIDE_TRADING_HOURS)
        explanations.append("the market is not in its regular session")
    return RiskDecision(tuple(reasons), tuple(explanations))


def check_order_permitted(
    status: SessionStatus,
    trading_state: TradingState,
    direction: TradeDirection,
    *,
    flattening: bool = False,
) -> RiskDecision:
    """Return whether a session may send an order now, whatever sent it (a rule, a click).

    Only a RUNNING session sends orders: ACTIVE sends entries and exits, REDUCING exits only,
    HALTED nothing. The kill switch's flattening sells whatever the state and status.
    """
    if flattening and direction is TradeDirection.SELL:
        return RiskDecision((), ())
    reasons: list[RiskReason] = []
    explanations: list[str] = []
    if status is not SessionStatus.RUNNING:
        reasons.append(RiskReason.SESSION_NOT_RUNNING)
        explanations.append(f"the session is {status.value.lower()}, not running")
    if trading_state is TradingState.HALTED:
        reasons.append(RiskReason.HALTED)
        explanations.append("trading is halted")
    elif trading_state is TradingState.REDUCING and direction is TradeDirection.BUY:
        reasons.append(RiskReason.EXITS_ONLY)
        explanations.append("the session only closes positions today (exits only)")
    return RiskDecision(tuple(reasons), tuple(explanations))


def next_trading_state(
    current: TradingState, *, limit_reached: bool, new_trading_day: bool
) -> TradingState:
    """Return the trading state after a change of P&L or of trading day.

    A halt holds until a deliberate re-arm. The daily limit turns ACTIVE into REDUCING for the
    rest of the day; a recovery of P&L within the day does not lift it, the next trading day does.
    """
    if current is TradingState.HALTED:
        return current
    if new_trading_day:
        return TradingState.REDUCING if limit_reached else TradingState.ACTIVE
    if limit_reached:
        return TradingState.REDUCING
    return current


# --------------------------------------------------------------------------- protective exits


@dataclass(frozen=True, slots=True)
class ProtectiveExit:
    """A stop-loss or take-profit that prices reached, at its level."""

    reason: SignalReason
    level: Decimal


def stop_loss_level(entry_price: Decimal, stop_loss_pct: Decimal | None) -> Decimal | None:
    """Return the price at or below which a position entered at *entry_price* is stopped out."""
    if stop_loss_pct is None:
        return None
    return entry_price * (1 - stop_loss_pct / 100)


def take_profit_level(entry_price: Decimal, take_profit_pct: Decimal | None) -> Decimal | None:
    """Return the price at or above which a position entered at *entry_price* takes its profit."""
    if take_profit_pct is None:
        return None
    return entry_price * (1 + take_profit_pct / 100)


def protective_exit(
    controls: RiskControls, entry_price: Decimal, low: Decimal, high: Decimal
) -> ProtectiveExit | None:
    """Return the protective exit that prices from *low* to *high* trigger, if any.

    A quote is a range of one price (``low == high``). Within a wider range (a candle) the order
    of prices is unknown, and the stop-loss is assumed to have come first: the worse outcome.
    """
    stop = stop_loss_level(entry_price, controls.stop_loss_pct)
    if stop is not None and low <= stop:
        return ProtectiveExit(SignalReason.STOP_LOSS, stop)
    target = take_profit_level(entry_price, controls.take_profit_pct)
    if target is not None and high >= target:
        return ProtectiveExit(SignalReason.TAKE_PROFIT, target)
    return None


def protective_fill_price(exit_: ProtectiveExit, opening: Decimal) -> Decimal:
    """Return the price an exit resting at its level fills at in a candle that opens at
    *opening*: the level, or the opening when the market gapped through the level."""
    if exit_.reason is SignalReason.STOP_LOSS:
        return min(opening, exit_.level)
    return max(opening, exit_.level)
