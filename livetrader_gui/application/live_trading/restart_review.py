"""The review after a restart: each thing reconciling found, for the trader to decide.

A restart reconciles the live sessions with their brokers. What the records do not explain
becomes a line: a position that differs (changed by hand, or by a fill nobody recorded), an
order open at the broker that no session placed, an order open here that the broker does not
list, a broker that could not be asked. Fills the venue made while LiveTrader was down are
recorded at once under the venue's own ids; each is a line too, already adopted.

The trader decides each line: **adopt** (the records take the broker's word), **flatten** (the
broker's account is brought back to the records by an order, recorded before it is sent) or
**ignore** (nothing changes). Every decision is journalled. No session resumes while a line
waits for its decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from livetrader_gui.application.live_trading.exceptions import LiveTradingError
from livetrader_gui.application.live_trading.orders import OrderExecutor
from livetrader_gui.application.live_trading.reconcile import (
    StoredExpectation,
    foreign_order_sentence,
    foreign_orders,
    missing_order_sentence,
    missing_orders,
    position_gaps,
)
from livetrader_gui.application.live_trading.recovery import Adjustment, record_adjustment
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.ports import (
    BrokerOrderState,
    IAuditJournal,
    IBrokerGateway,
    IOrderRepository,
)
from livetrader_gui.domain import Fill, TradeDirection
from livetrader_gui.domain.values import plain


class Decision(StrEnum):
    """What the trader decides about one line."""

    ADOPT = "adopt"
    FLATTEN = "flatten"
    IGNORE = "ignore"


class ReviewKind(StrEnum):
    """What a line is about."""

    POSITION = "position"
    FOREIGN_ORDER = "order placed elsewhere"
    MISSING_ORDER = "order the broker does not list"
    FILL_WHILE_DOWN = "fill while LiveTrader was down"
    NOT_RECONCILED = "broker not reconciled"


# Why an adoption's adjustment was recorded, in the journal.
ADOPTED = "to match the broker (adopted by the trader after the restart; no order sent)"


class ReviewPendingError(LiveTradingError):
    """A session may not resume while a line of the review after the restart waits."""


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """One line of the review, as the trader sees it."""

    number: int
    kind: ReviewKind
    broker_id: str
    symbol: str
    text: str
    choices: tuple[Decision, ...]
    decision: Decision | None = None
    outcome: str = ""
    # What the line is about (one of them): the gap, the order elsewhere, the order id here,
    # the fill; and the restored session it belongs to, if any.
    session_id: str | None = field(default=None, compare=False)
    gap: tuple[Decimal, Decimal, Decimal | None] | None = field(default=None, compare=False)
    order: BrokerOrderState | None = field(default=None, compare=False)
    client_order_id: str | None = field(default=None, compare=False)
    fill: Fill | None = field(default=None, compare=False)

    @property
    def waiting(self) -> bool:
        """Return whether the line still waits for the trader's decision."""
        return self.decision is None


class RestartReview:
    """The lines a restart left for the trader, and what was decided about each."""

    def __init__(self, lines: Sequence[ReviewLine]) -> None:
        self._lines = {line.number: line for line in lines}

    @property
    def lines(self) -> list[ReviewLine]:
        return list(self._lines.values())

    @property
    def waiting(self) -> int:
        """Return how many lines wait for a decision."""
        return sum(1 for line in self._lines.values() if line.waiting)

    def line(self, number: int) -> ReviewLine:
        line = self._lines.get(number)
        if line is None:
            raise LiveTradingError(f"the review after the restart has no line {number}")
        return line

    def settle(self, number: int, decision: Decision, outcome: str) -> ReviewLine:
        line = replace(self.line(number), decision=decision, outcome=outcome)
        self._lines[number] = line
        return line


def _owner(runners: Sequence[LiveTradingRunner], symbol: str) -> LiveTradingRunner | None:
    """Return the first restored session that trades *symbol* (its book takes an adoption)."""
    for runner in sorted(runners, key=lambda r: r.session.id):
        if symbol in runner.session.symbols:
            return runner
    return None


async def review_lines(
    gateway: IBrokerGateway,
    runners: Sequence[LiveTradingRunner],
    expected: StoredExpectation,
    first: int,
) -> list[ReviewLine]:
    """Return the lines of what the account at *gateway* holds that the records do not
    explain, numbered from *first*."""
    broker, broker_id = gateway.display_name, gateway.broker_id
    held, at_broker = await gateway.get_positions(), await gateway.get_open_orders()
    expected_open = await expected.open_orders()
    lines: list[ReviewLine] = []
    for gap in position_gaps(await expected.positions(), held):
        owner = _owner(runners, gap.symbol)
        choices: tuple[Decision, ...] = (Decision.ADOPT, Decision.FLATTEN, Decision.IGNORE)
        if gap.theirs < gap.ours:
            choices = (Decision.ADOPT, Decision.IGNORE)  # nothing at the broker to sell
        lines.append(
            ReviewLine(
                first + len(lines),
                ReviewKind.POSITION,
                broker_id,
                gap.symbol,
                gap.sentence(broker),
                choices,
                session_id=owner.session.id if owner else None,
                gap=(gap.ours, gap.theirs, gap.broker_price),
            )
        )
    for state in foreign_orders(expected_open, at_broker):
        lines.append(
            ReviewLine(
                first + len(lines),
                ReviewKind.FOREIGN_ORDER,
                broker_id,
                state.request.symbol,
                foreign_order_sentence(broker, state),
                (Decision.FLATTEN, Decision.IGNORE),
                order=state,
            )
        )
    for client_order_id in missing_orders(expected_open, at_broker):
        lines.append(
            ReviewLine(
                first + len(lines),
                ReviewKind.MISSING_ORDER,
                broker_id,
                "",
                missing_order_sentence(broker, client_order_id),
                (Decision.ADOPT, Decision.IGNORE),
                client_order_id=client_order_id,
            )
        )
    return lines


def fill_line(number: int, broker_id: str, fill: Fill, session_id: str | None) -> ReviewLine:
    """Return the line of a fill made while LiveTrader was down (recorded: adopted)."""
    text = (
        f"{fill.symbol}: {fill.direction.value} {plain(fill.quantity)} at {plain(fill.price)} "
        f"filled at {fill.at:%Y-%m-%d %H:%M:%S} UTC while LiveTrader was down (order "
        f"{fill.client_order_id}, fill {fill.fill_id})"
    )
    buy = fill.direction is TradeDirection.BUY
    return ReviewLine(
        number, ReviewKind.FILL_WHILE_DOWN, broker_id, fill.symbol, text,
        (Decision.ADOPT, Decision.FLATTEN) if buy else (Decision.ADOPT,),
        Decision.ADOPT, "recorded under the venue's own fill id",
        session_id=session_id, fill=fill,
    )  # fmt: skip


def unreconciled_line(number: int, broker_id: str, difference: str) -> ReviewLine:
    """Return the line of a broker that could not be asked (nothing to adopt or flatten)."""
    return ReviewLine(
        number, ReviewKind.NOT_RECONCILED, broker_id, "", difference, (Decision.IGNORE,)
    )


@dataclass
class ReviewDecisions:
    """Carries out the trader's decisions on one broker account."""

    gateway: IBrokerGateway
    runners: Sequence[LiveTradingRunner]
    executor: OrderExecutor  # the account's own orders (no session's)
    orders: IOrderRepository
    journal: IAuditJournal

    async def carry_out(self, line: ReviewLine, decision: Decision) -> str:
        """Do what *decision* means for *line*; return what was done, in words."""
        if decision not in line.choices:
            allowed = ", ".join(c.value for c in line.choices)
            raise LiveTradingError(
                f"line {line.number} ({line.kind.value}) can be decided as {allowed}, "
                f"not {decision.value}"
            )
        if decision is Decision.IGNORE:
            return "left as it is: the records and the broker still differ"
        if line.kind is ReviewKind.POSITION:
            return await self._position(line, decision)
        if line.kind is ReviewKind.FOREIGN_ORDER:
            return await self._cancel_foreign(line)
        if line.kind is ReviewKind.MISSING_ORDER:
            return await self._ask_again(line)
        if line.kind is ReviewKind.FILL_WHILE_DOWN and decision is Decision.FLATTEN:
            return await self._sell_fill(line)
        return "kept as recorded"

    async def _position(self, line: ReviewLine, decision: Decision) -> str:
        assert line.gap is not None
        ours, theirs, broker_price = line.gap
        change = theirs - ours
        owner = self._runner(line.session_id)
        if decision is Decision.ADOPT and change < 0:
            return await self._give_up(line, -change, theirs)
        if decision is Decision.ADOPT:
            price = broker_price or None
            if price is None and owner is not None:
                position = owner.book.positions.get(line.symbol)
                price = position.average_price if position is not None else None
            if price is None:
                quote = await self.gateway.get_latest_quote(line.symbol)
                price = quote.last if quote is not None else None
            if price is None:
                raise LiveTradingError(f"{line.symbol}: no price is known to adopt it at")
            order, fill = await record_adjustment(
                self.orders,
                self.journal,
                self.gateway.clock.now(),
                Adjustment(line.session_id, line.broker_id, line.symbol, change, price),
                ADOPTED,
            )
            if owner is not None:
                await owner.take_adjustment(order, fill)
            whose = f"session {line.session_id}" if line.session_id else "the account"
            return f"the records now hold {plain(theirs)} ({whose}, at {plain(price)})"
        # Flatten: what the broker holds beyond the records is first recorded as found, then
        # sold at market as the account's own order (recorded before it is sent).
        extra = change
        found = broker_price or Decimal(0)
        await record_adjustment(
            self.orders,
            self.journal,
            self.gateway.clock.now(),
            Adjustment(None, line.broker_id, line.symbol, extra, found),
            "found at the broker beyond the records (to be sold: flattened by the trader)",
        )
        update = await self.executor.submit(line.symbol, TradeDirection.SELL, extra)
        order = update.order
        if order.reject_reason:
            return f"the sale of {plain(extra)} was refused: {order.reject_reason}"
        return (
            f"sold {plain(extra)} at market (order {order.client_order_id}, "
            f"{order.status.value}, {plain(order.filled_quantity)} filled)"
        )

    async def _give_up(self, line: ReviewLine, short: Decimal, theirs: Decimal) -> str:
        """Record that the broker holds *short* less than the records: each restored session
        trading the symbol gives up what it holds, in turn (none more than it holds), and the
        account itself the rest (what stopped sessions or earlier adoptions recorded)."""
        symbol, now = line.symbol, self.gateway.clock.now()
        given: list[str] = []
        for runner in sorted(self.runners, key=lambda r: r.session.id):
            position = runner.book.positions.get(symbol)
            held = runner.book.held(symbol)
            if short == 0 or position is None or held <= 0:
                continue
            part = min(held, short)
            adjustment = Adjustment(
                runner.session.id, line.broker_id, symbol, -part, position.average_price
            )
            order, fill = await record_adjustment(
                self.orders, self.journal, now, adjustment, ADOPTED
            )
            await runner.take_adjustment(order, fill)
            given.append(f"session {runner.session.id} gave up {plain(part)}")
            short -= part
        if short > 0:
            quote = await self.gateway.get_latest_quote(symbol)
            if quote is None:
                raise LiveTradingError(f"{symbol}: no price is known to adopt it at")
            adjustment = Adjustment(None, line.broker_id, symbol, -short, quote.last)
            await record_adjustment(self.orders, self.journal, now, adjustment, ADOPTED)
            given.append(f"the account gave up {plain(short)}")
        return f"the records now hold {plain(theirs)} ({'; '.join(given)})"

    async def _cancel_foreign(self, line: ReviewLine) -> str:
        assert line.order is not None
        state = await self.gateway.cancel_order(
            line.order.client_order_id, symbol=line.order.request.symbol
        )
        return (
            f"cancelled at the broker ({state.status.value}, {plain(state.filled_quantity)} "
            "filled before); it is not a session's order, so nothing was recorded"
        )

    async def _ask_again(self, line: ReviewLine) -> str:
        assert line.client_order_id is not None
        order = await self.orders.get(line.client_order_id)
        if order is None:
            return "not in the records any more"
        owner = self._runner(order.session_id)
        if owner is not None and order.client_order_id in owner.book.open_orders:
            await owner.sync_orders()
        else:
            await self.executor.resolve(order)
        now = await self.orders.get(line.client_order_id)
        assert now is not None
        detail = f" ({now.reject_reason})" if now.reject_reason else ""
        return f"asked the broker again: the order is {now.status.value}{detail}"

    async def _sell_fill(self, line: ReviewLine) -> str:
        assert line.fill is not None
        owner = self._runner(line.session_id)
        quantity = line.fill.held_change
        if owner is None:
            raise LiveTradingError(
                f"the session of fill {line.fill.fill_id} is not running: stop or recover it first"
            )
        update = await owner.sell_now(line.fill.symbol, quantity)
        order = update.order
        if order.reject_reason:
            return f"the sale of {plain(quantity)} was refused: {order.reject_reason}"
        return f"sold {plain(quantity)} at market (order {order.client_order_id})"

    def _runner(self, session_id: str | None) -> LiveTradingRunner | None:
        for runner in self.runners:
            if runner.session.id == session_id:
                return runner
        return None
