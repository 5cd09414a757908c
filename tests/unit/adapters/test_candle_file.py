"""Candle files: read at once into columns, and every bad row named with its file and line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from livetrader_gui.adapters.candle_file import NUMBERS, CandleFileError, read_candle_file
from livetrader_gui.domain import Candle

HEADER = "timestamp,symbol,open,high,low,close,volume"
SYMBOLS = ("005930", "000660")


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "candles.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_rows_are_grouped_by_symbol_in_time_order_with_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "2026-11-24T09:01:00+09:00,005930,70100,70200,70000,70150,10",
        "2026-11-24T09:00:00+09:00,005930,70000,70100,69900,70050,12",
        "2026-11-24T00:00:00Z,000660,200000,200500,199500,200000,3",
    )

    columns = read_candle_file(path, SYMBOLS)

    samsung = columns["005930"]
    assert samsung.line.tolist() == [3, 2]
    first = samsung.candle(0)
    assert (first.start.isoformat(), first.open, first.close) == (
        "2026-11-24T00:00:00+00:00",
        Decimal(70000),
        Decimal(70050),
    )
    assert columns["000660"].candle(0).start == first.start  # 09:00 in Seoul is 00:00 UTC
    # Built without checking again, it equals the candle the domain builds with its checks.
    assert first == Candle("005930", first.start, *(getattr(first, n) for n in NUMBERS))
    assert first.end == first.start + timedelta(minutes=1)


def test_cells_padded_with_blanks_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, " 2026-11-24T09:00:00+09:00 , 005930 ,70000,70100,69900,70050,12")

    assert read_candle_file(path, SYMBOLS)["005930"].candle(0).volume == Decimal(12)


def test_decimal_prices_are_read_as_the_decimals_written(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-11-24T09:00:00+09:00,005930,1.1,1.3,1.05,1.25,0.5")

    candle = read_candle_file(path, SYMBOLS)["005930"].candle(0)

    assert (candle.open, candle.high, candle.low, candle.close) == (
        Decimal("1.1"),
        Decimal("1.3"),
        Decimal("1.05"),
        Decimal("1.25"),
    )


GOOD = "2026-11-24T09:00:00+09:00,005930,70000,70100,69900,70050,12"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "2026-11-24T09:00:00+09:00,005930,1234567890123456,1234567890123456,1,1,1",
            "candles.csv:3: the number '1234567890123456' has more than 15 significant digits",
        ),
        (
            "2026-11-24T09:01:00+09:00,005930,70000.00000000001,70100,69900,70050,12",
            "candles.csv:3: the number '70000.00000000001' has more than 15 significant digits",
        ),
        ("24/11/2026 09:01,005930,70000,70100,69900,70050,12", "is not ISO 8601"),
        ("2026-11-24T09:01:00,005930,70000,70100,69900,70050,12", "has no UTC offset"),
        ("2026-11-24T09:01:30+09:00,005930,70000,70100,69900,70050,12", "does not start a minute"),
        (
            "2026-11-24T09:01:00+09:00,005930,70000,69000,69900,70050,12",
            "candles.csv:3: 005930 candle at 2026-11-24T00:01:00+00:00: high 69000 and low 69900",
        ),
        ("2026-11-24T09:01:00+09:00,005930,-1,70100,69900,70050,12", "candles.csv:3: "),
        ("2026-11-24T09:01:00+09:00,005930,70000,70100,69900,70050,nan", "volume 'nan' is"),
        ("", "candles.csv:3: an empty line"),
        (",,,,,,", "candles.csv:3: an empty line"),
        (
            "2026-11-24T09:00:00+09:00,005930,70000,70100,69900,70050,12",
            "candles.csv:3: a second 005930 candle at 2026-11-24T09:00:00+09:00 (the first is "
            "on line 2)",
        ),
    ],
    ids=["16-digits", "17-digits-with-a-point", "not-iso", "no-offset", "seconds", "high-low",
         "negative", "nan", "empty", "commas", "repeated"],
)  # fmt: skip
def test_a_bad_row_is_named_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, GOOD, row)

    with pytest.raises(CandleFileError) as error:
        read_candle_file(path, SYMBOLS)

    assert message in str(error.value)
    assert str(error.value).startswith(str(path))


def test_a_long_number_in_a_later_line_is_found_past_ordinary_ones(tmp_path: Path) -> None:
    rows = [GOOD.replace("09:00", f"09:{m:02d}") for m in range(1, 50)]
    rows.append("2026-11-24T10:00:00+09:00,005930,70000,70100,69900,70050,12345678901234567")
    path = write(tmp_path, GOOD, *rows)

    with pytest.raises(CandleFileError, match=r"candles.csv:52: the number '12345678901234567'"):
        read_candle_file(path, SYMBOLS)


def test_fifteen_digits_are_held_exactly(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-11-24T09:00:00+09:00,005930,1.23456789012345,2,1,1.5,1")

    candle = read_candle_file(path, SYMBOLS)["005930"].candle(0)

    assert candle.open == Decimal("1.23456789012345")


def test_a_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    with pytest.raises(CandleFileError, match="cannot read the candle file"):
        read_candle_file(tmp_path / "missing.csv", SYMBOLS)
