"""The risk gauge, the session tables and the chart follow the bridge's signals."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from pytestqt.qtbot import QtBot

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.read_models import (
    BarSnapshot,
    IndicatorScale,
    IndicatorValue,
    LogEntry,
    LogLevel,
    OrderSnapshot,
    PositionSnapshot,
    SessionSnapshot,
)
from livetrader_gui.domain import Candle, RiskStatus, SessionStatus, TradingState
from livetrader_gui.ui.charts.bar_store import BarStore
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from livetrader_gui.ui.widgets.risk_gauge import Band, RiskGauge
from livetrader_gui.ui.widgets.session_panel import SessionPanel
from tests.builders import T0, fill_for, order, session
from tests.window import Desk

SESSION = "S-1"


def risk(pnl: int, state: TradingState = TradingState.ACTIVE, **kw: object) -> RiskStatus:
    values: dict[str, object] = {
        "session_id": SESSION,
        "at": T0,
        "trading_state": state,
        "current_positions": 2,
        "max_positions": 5,
        "daily_pnl": Decimal(pnl),
        "daily_loss_limit": Decimal(-300_000),
        "start_of_day_equity": Decimal(10_000_000),
        "exposure_pct": Decimal("35.25"),
        "is_within_trading_hours": True,
        "is_daily_limit_reached": state is TradingState.REDUCING,
    }
    values.update(kw)
    return RiskStatus(**values)  # type: ignore[arg-type]


def gauge(qtbot: QtBot) -> tuple[RiskGauge, QtSessionObserver]:
    signals = EngineSignals()
    widget = RiskGauge()
    qtbot.addWidget(widget)
    signals.risk_status_changed.connect(widget._on_risk_status_changed)
    return widget, QtSessionObserver(signals)


def test_the_gauge_shows_the_loss_against_the_limit_positions_and_exposure(
    qtbot: QtBot,
) -> None:
    widget, observer = gauge(qtbot)

    observer.on_risk_status_changed(risk(-120_000))

    assert widget.pnl.text() == "-120,000 of -300,000 limit (40 % used)"
    assert widget.band is Band.GREEN
    assert widget.positions.text() == "2 of 5"
    assert widget.exposure.text() == "35.2 % of equity"
    assert widget.banner.text() == "ACTIVE"


def test_the_gauge_turns_amber_past_half_the_limit_and_red_past_eighty_percent(
    qtbot: QtBot,
) -> None:
    widget, observer = gauge(qtbot)

    observer.on_risk_status_changed(risk(-150_000))
    assert widget.band is Band.AMBER
    observer.on_risk_status_changed(risk(-240_000))
    assert widget.band is Band.RED
    observer.on_risk_status_changed(risk(50_000))
    assert widget.band is Band.GREEN
    assert widget.pnl.text() == "50,000 of -300,000 limit (0 % used)"


def test_reducing_and_halted_take_over_the_banner(qtbot: QtBot) -> None:
    widget, observer = gauge(qtbot)

    observer.on_risk_status_changed(risk(-300_000, TradingState.REDUCING))
    assert widget.banner.text() == "REDUCING — daily loss limit reached: exits only"
    assert "#ef6c00" in widget.banner.styleSheet()

    observer.on_risk_status_changed(risk(-300_000, TradingState.HALTED))
    assert widget.banner.text() == "HALTED — no orders are sent"
    assert "#c62828" in widget.banner.styleSheet()


def test_the_gauge_says_when_the_market_is_closed(qtbot: QtBot) -> None:
    widget, observer = gauge(qtbot)

    observer.on_risk_status_changed(risk(0, is_within_trading_hours=False))

    assert widget.hours.text() == "outside trading hours"


def panel(
    qtbot: QtBot, names: dict[str, str] | None = None
) -> tuple[SessionPanel, QtSessionObserver, BarStore]:
    signals = EngineSignals()
    store = BarStore()
    widget = SessionPanel(store, "Asia/Seoul", names=names)
    qtbot.addWidget(widget)
    signals.position_changed.connect(widget.positions.push)
    signals.position_changed.connect(store.set_position)
    signals.order_updated.connect(widget.orders.push)
    signals.order_updated.connect(store.add_order)
    signals.log_added.connect(widget.activity.push)
    signals.candle_closed.connect(store.add_bar)
    widget.show_session(SessionSnapshot.of(session(id=SESSION)))
    return widget, QtSessionObserver(signals), store


def position(quantity: int, session_id: str = SESSION) -> PositionSnapshot:
    return PositionSnapshot(
        session_id, "005930", Decimal(quantity), Decimal(72_000), Decimal(72_500),
        Decimal(500 * quantity), Decimal(0),
    )  # fmt: skip


def test_positions_follow_the_bridge_and_a_closed_position_leaves_the_table(
    qtbot: QtBot,
) -> None:
    widget, observer, _ = panel(qtbot)
    model = widget.positions

    observer.on_position_changed(position(10))
    observer.on_position_changed(position(10, session_id="S-other"))  # another session's
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2_000)
    assert [model.data(model.index(0, c)) for c in range(5)] == [
        "005930", "10", "72,000", "72,500", "5,000",
    ]  # fmt: skip

    observer.on_position_changed(position(0))
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=2_000)


def test_names_stand_next_to_codes_in_the_tables_and_the_chart(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot, {"005930": "Samsung Electronics"})
    placed = order(session_id=SESSION)

    observer.on_position_changed(position(10))
    observer.on_order_updated(OrderSnapshot.of(placed))
    qtbot.waitUntil(lambda: widget.orders.rowCount() == 1 and widget.positions.rowCount() == 1)

    assert widget.positions.data(widget.positions.index(0, 0)) == "005930 Samsung Electronics"
    assert widget.orders.data(widget.orders.index(0, 1)) == "005930 Samsung Electronics"
    assert widget.chart.symbol_box.currentText() == "005930 Samsung Electronics"
    assert widget.chart.symbol_box.currentData() == "005930"


def test_an_order_row_is_updated_in_place_as_the_broker_answers(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    model = widget.orders
    placed = order(session_id=SESSION)

    observer.on_order_updated(OrderSnapshot.of(placed))
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2_000)
    placed.mark_rejected("insufficient buying power", T0 + timedelta(seconds=1))
    observer.on_order_updated(OrderSnapshot.of(placed))
    qtbot.waitUntil(lambda: model.data(model.index(0, 6)) == "REJECTED", timeout=2_000)

    assert model.rowCount() == 1
    assert model.data(model.index(0, 7)) == "insufficient buying power"


def test_the_activity_log_says_why_a_signal_did_not_trade(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)

    observer.on_log(
        LogEntry(T0, LogLevel.WARNING, "entry on 005930 refused: max positions 3/3", SESSION)
    )
    observer.on_log(LogEntry(T0, LogLevel.INFO, "another session's line", "S-other"))
    qtbot.waitUntil(lambda: widget.activity.rowCount() == 1, timeout=2_000)

    assert widget.activity.message(0) == "entry on 005930 refused: max positions 3/3"


def test_the_activity_log_can_be_narrowed_to_warnings_and_errors(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    for level in (LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR, LogLevel.INFO):
        observer.on_log(LogEntry(T0, level, f"a line at {level.value}", SESSION))
    qtbot.waitUntil(lambda: widget.activity.rowCount() == 4, timeout=2_000)
    shown = widget.activity_filter

    def levels() -> list[str]:
        return [shown.data(shown.index(row, 1)) for row in range(shown.rowCount())]

    assert [widget.levels.itemText(i) for i in range(widget.levels.count())] == [
        "Everything",
        "Warnings and errors",
        "Errors only",
    ]
    widget.levels.setCurrentIndex(1)
    assert levels() == ["WARNING", "ERROR"]
    widget.levels.setCurrentIndex(2)
    assert levels() == ["ERROR"]
    widget.levels.setCurrentIndex(0)
    assert levels() == ["INFO", "WARNING", "ERROR", "INFO"]


def bar(minute: int, close: int, sma: float) -> BarSnapshot:
    price = Decimal(close)
    candle = Candle(
        "005930", T0 + timedelta(minutes=minute), price, price + 100, price - 100, price,
        Decimal(1_000),
    )  # fmt: skip
    return BarSnapshot(
        SESSION,
        candle,
        (
            IndicatorValue("sma(close, 20)", IndicatorScale.PRICE, sma),
            IndicatorValue("rsi(close, 14)", IndicatorScale.OWN, 55.0),
        ),
    )


def test_the_chart_draws_candles_with_the_rules_indicators_on_their_axes(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    chart = widget.chart

    for minute in range(3):
        observer.on_candle_closed(
            bar(minute, 72_000 + 100 * minute, math.nan if minute < 2 else 72_100)
        )
    chart.redraw()

    assert chart.caption.text() == "3 one-minute candles"
    sma = chart.lines["sma(close, 20)"]
    assert sma in chart.price.items
    assert chart.lines["rsi(close, 14)"] in chart.own.items
    assert chart.own.isVisible()
    x, y = sma.getData()
    assert list(x) == [0.0, 1.0, 2.0]  # by bar number: a night between two bars takes no room
    assert y[2] == 72_100
    assert chart.axes[0].tickStrings([0.0, 2.0], 1.0, 1.0) == ["Nov 24", "10:02"]  # KST
    assert chart.pages.currentWidget() is chart.canvas


def test_the_time_axis_names_the_day_wherever_it_changes(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    chart = widget.chart
    day = [*range(60), *range(24 * 60, 24 * 60 + 60)]  # 10:00 to 10:59 on two days
    for minute in day:
        observer.on_candle_closed(bar(minute, 72_000, 72_000.0))
    chart.redraw()
    axis = chart.axes[0]

    (days, spacing_days), (times, spacing_times) = (
        (values, spacing) for spacing, values in axis.tickValues(0, 119, 800)
    )

    assert days == [0, 60], "each day's first bar is a major tick"
    assert axis.tickStrings(days, 1.0, spacing_days) == ["Nov 24", "Nov 25"]
    labels = axis.tickStrings(times, 1.0, spacing_times)
    assert labels
    assert all(label.endswith(("0", "5")) and ":" in label for label in labels)
    assert len(days) + len(times) <= 800 // 80, "no more labels than there is room for"


def test_an_empty_chart_says_so_instead_of_drawing_empty_axes(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    chart = widget.chart
    chart.show_session(None)
    assert chart.pages.currentWidget() is chart.message
    assert "Select a session" in chart.message.text()

    chart.show_session(SESSION, ("005930",))

    assert chart.pages.currentWidget() is chart.message
    assert "No candles of 005930 yet" in chart.message.text()
    observer.on_candle_closed(bar(0, 72_000, math.nan))
    chart.redraw()
    assert chart.pages.currentWidget() is chart.canvas


def test_an_indicator_joins_the_legend_once_it_has_a_value_and_stays_under_the_candles(
    qtbot: QtBot,
) -> None:
    widget, observer, _ = panel(qtbot)
    chart = widget.chart
    assert chart.price.legend is not None

    def legend() -> list[str]:
        return [label.text for _, label in chart.price.legend.items]

    observer.on_candle_closed(bar(0, 72_000, math.nan))
    chart.redraw()
    assert legend() == ["rsi(close, 14)"], "the SMA has no value yet"

    observer.on_candle_closed(bar(1, 72_100, 72_050.0))
    chart.redraw()

    assert "sma(close, 20)" in legend()
    assert chart.lines["sma(close, 20)"].zValue() < chart.candles.zValue()
    assert chart.last_line.zValue() > chart.candles.zValue()
    assert chart.own.getAxis("left").labelText == "RSI 14"
    assert chart.volume.getAxis("left").labelText == "Volume"


def test_fills_and_the_average_price_are_drawn_on_the_chart(qtbot: QtBot) -> None:
    widget, observer, _ = panel(qtbot)
    chart = widget.chart
    observer.on_candle_closed(bar(0, 72_000, math.nan))
    filled = order(session_id=SESSION)
    filled.mark_submitted("B-1", T0)
    observer.on_order_updated(OrderSnapshot.of(filled))  # not filled yet: no marker
    chart.redraw()
    assert len(chart.buys.data) == 0

    filled.apply_fill(fill_for(filled, int(filled.request.quantity), price=72_050))
    observer.on_order_updated(OrderSnapshot.of(filled))
    observer.on_position_changed(position(10))
    chart.redraw()

    # Drawn on the first candle, the minute it filled in.
    assert [(p.pos().x(), p.pos().y()) for p in chart.buys.points()] == [(0.0, 72_050.0)]
    assert chart.average_line.isVisible()
    assert chart.average_line.value() == 72_000


async def test_a_halted_session_can_be_re_armed_from_the_sessions_panel(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session = await desk.world.manager.start_session(
        desk.world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    await desk.settled()
    panel = desk.bench.sessions
    panel.select(session.id)
    assert not panel.rearm_button.isEnabled()
    await desk.world.manager.runner(session.id).halt("kill switch")
    await desk.settled()
    assert panel.rearm_button.isEnabled()
    assert not panel.recover_button.isEnabled()

    panel.rearm_button.click()
    await desk.settled()

    assert desk.asked[-1] == "Re-arm session"
    assert desk.world.manager.runner(session.id).session.trading_state is TradingState.ACTIVE
    assert not panel.rearm_button.isEnabled()
    await desk.world.manager.stop_session(session.id)


async def test_a_session_in_error_is_listed_and_can_be_recovered_or_stopped(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    failed = session(id="S-ERR", broker_id="FAKE")
    failed.start(T0)
    failed.fail("its history cannot be restored: fill B-9-F1 …", T0)
    await desk.world.h.sessions.save(failed)
    panel = desk.bench.sessions
    panel.model.push_session(SessionSnapshot.of(failed))
    panel.select("S-ERR")

    assert (panel.recover_button.isEnabled(), panel.stop_button.isEnabled()) == (True, True)
    assert (panel.pause_button.isEnabled(), panel.resume_button.isEnabled()) == (False, False)
    panel.recover_button.click()
    await desk.settled()

    assert desk.asked[-1] == "Recover session"
    (back,) = desk.world.manager.get_active_sessions()
    assert back.status is SessionStatus.PAUSED
    panel.select("S-ERR")
    assert panel.resume_button.isEnabled()
    assert not panel.recover_button.isEnabled()
    await desk.world.manager.stop_session("S-ERR")
