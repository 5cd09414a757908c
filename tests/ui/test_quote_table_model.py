"""The market-watch model coalesces bursts of quotes into one update per frame."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from livetrader_gui.domain import Quote
from livetrader_gui.ui.colours import PALETTE, Convention, Tone
from livetrader_gui.ui.models.quote_table_model import QuoteTableModel
from livetrader_gui.ui.theme import Theme
from tests.builders import T0

NAMES = {"005930": "Samsung Electronics", "000660": "SK hynix", "035420": "NAVER"}


def quote(symbol: str, last: int, seconds: int = 0) -> Quote:
    return Quote(
        symbol,
        Decimal(last),
        Decimal(last + 100),
        Decimal(last),
        T0 + timedelta(seconds=seconds),
        Decimal(1234567),
    )


def cell(model: QuoteTableModel, row: int, column: int) -> str:
    return str(model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole))


def test_a_burst_of_quotes_shows_the_latest_per_symbol_after_one_flush(qtbot: QtBot) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul", flush_ms=10_000)
    for n in range(500):
        model.push(quote("005930", 70_000 + n * 100, n))
    model.push(quote("000660", 180_000))
    assert model.rowCount() == 0, "nothing shows before the flush"

    model.flush()

    assert model.rowCount() == 2
    assert [cell(model, 0, c) for c in range(8)] == [
        "005930",
        "Samsung Electronics",
        "119,900",
        "",  # no previous close, no change
        "119,900",
        "120,000",
        "1,234,567",
        "10:08:19",
    ]
    assert cell(model, 1, 1) == "SK hynix"


def test_updates_to_known_rows_arrive_as_one_ranged_data_change(qtbot: QtBot) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul", flush_ms=10_000)
    model.push(quote("005930", 70_000))
    model.push(quote("000660", 180_000))
    model.flush()
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, roles: changes.append((first.row(), last.row())))

    for n in range(100):
        model.push(quote("005930", 71_000 + n))
        model.push(quote("000660", 181_000 + n))
    model.flush()
    model.flush()  # nothing new: no signal

    assert changes == [(0, 1)]
    assert cell(model, 1, 2) == "181,099"


def test_only_the_rows_that_changed_are_signalled_in_runs_of_adjacent_rows(
    qtbot: QtBot,
) -> None:
    names = {f"00{n}000": f"Company {n}" for n in range(1, 7)}
    model = QuoteTableModel(names, "Asia/Seoul", flush_ms=10_000)
    for symbol in names:
        model.push(quote(symbol, 70_000))
    model.flush()
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, roles: changes.append((first.row(), last.row())))

    for symbol in ("005000", "001000", "002000"):  # rows 4, 0 and 1: row 2 and 3 stay as they are
        model.push(quote(symbol, 71_000))
    model.flush()

    assert changes == [(0, 1), (4, 4)], "a single range 0-4 would repaint rows 2 and 3 too"


def test_an_idle_model_has_no_timer_running_and_a_push_starts_one(qtbot: QtBot) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul", flush_ms=10_000)
    assert not model._timer.isActive(), "a table with nothing new costs nothing"

    model.push(quote("005930", 70_000))
    assert model._timer.isActive()
    model.push(quote("005930", 70_100))
    assert model._timer.remainingTime() > 9_000, "later quotes ride on the same flush"
    model._timer.stop()


def test_the_timer_flushes_without_being_asked(qtbot: QtBot) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul", flush_ms=20)
    model.push(quote("005930", 70_000))
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2_000)


def test_prices_are_right_aligned_and_headers_named(qtbot: QtBot) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul")
    model.push(quote("005930", 70_000))
    model.flush()
    alignment = model.data(model.index(0, 2), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & int(Qt.AlignmentFlag.AlignRight)
    assert model.data(model.index(0, 0), Qt.ItemDataRole.TextAlignmentRole) is None
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Last"
    assert model.columnCount() == 8


def test_the_change_is_measured_from_the_previous_close_and_coloured_by_its_sign(
    qtbot: QtBot,
) -> None:
    model = QuoteTableModel(NAMES, "Asia/Seoul")
    model.push(replace(quote("005930", 70_000), previous_close=Decimal(72_000)))
    model.push(replace(quote("000660", 180_000), previous_close=Decimal(160_000)))
    model.push(replace(quote("035420", 190_000), previous_close=Decimal(190_000)))
    model.flush()
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Change %"
    assert [cell(model, row, 3) for row in range(3)] == ["-2.78%", "+12.50%", "+0.00%"]

    def colour(row: int) -> object:
        return model.data(model.index(row, 3), Qt.ItemDataRole.ForegroundRole)

    try:
        PALETTE.use(Theme.LIGHT, Convention.WESTERN)
        assert (colour(0), colour(1), colour(2)) == (
            PALETTE.colour(Tone.DOWN),
            PALETTE.colour(Tone.UP),
            None,
        )
        assert PALETTE.colour(Tone.DOWN).red() > PALETTE.colour(Tone.DOWN).green(), "a loss is red"
        PALETTE.use(Theme.LIGHT, Convention.KOREAN)
        fall, rise = colour(0), colour(1)
        assert isinstance(fall, QColor)
        assert isinstance(rise, QColor)
        assert fall.blue() > max(fall.red(), fall.green()), "a fall is blue in KRX"
        assert rise.red() > max(rise.green(), rise.blue()), "a rise is red in KRX"
    finally:
        PALETTE.use(Theme.LIGHT, Convention.WESTERN)
