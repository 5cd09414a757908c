"""Trading calendars come from exchange_calendars: holidays, late opens, early closes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from livetrader_gui.adapters.calendars import (
    CalendarError,
    ExchangeCalendarProvider,
    ExchangeTradingCalendar,
)

KST = timedelta(hours=9)


def kst(y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC) - KST


def test_krx_is_open_from_nine_to_half_past_three_seoul_time(xkrx: ExchangeTradingCalendar) -> None:
    assert xkrx.code == "XKRX"
    assert xkrx.timezone == "Asia/Seoul"
    assert not xkrx.is_open(kst(2026, 11, 24, 8, 59, 59))
    assert xkrx.is_open(kst(2026, 11, 24, 9, 0))
    assert xkrx.is_open(kst(2026, 11, 24, 15, 29, 59))
    assert not xkrx.is_open(kst(2026, 11, 24, 15, 30))


def test_krx_is_closed_on_weekends_and_on_chuseok(xkrx: ExchangeTradingCalendar) -> None:
    assert not xkrx.is_session(date(2026, 11, 28))  # Saturday
    assert not xkrx.is_session(date(2026, 9, 24))  # Chuseok
    assert not xkrx.is_open(kst(2026, 9, 24, 10, 0))
    assert xkrx.sessions_between(date(2026, 9, 21), date(2026, 9, 29)) == [
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
        date(2026, 9, 28),
        date(2026, 9, 29),
    ]


def test_krx_opens_an_hour_late_on_the_first_trading_day_of_the_year(
    xkrx: ExchangeTradingCalendar,
) -> None:
    opens, closes = xkrx.session_bounds(date(2026, 1, 2))
    assert (opens, closes) == (kst(2026, 1, 2, 10, 0), kst(2026, 1, 2, 15, 30))
    assert opens.tzinfo is UTC


def test_session_date_and_next_open_skip_closed_time(xkrx: ExchangeTradingCalendar) -> None:
    friday_evening = kst(2026, 11, 27, 18, 0)
    assert xkrx.session_date(kst(2026, 11, 27, 10, 0)) == date(2026, 11, 27)
    assert xkrx.session_date(friday_evening) == date(2026, 11, 30)
    assert xkrx.next_open(friday_evening) == kst(2026, 11, 30, 9, 0)


def test_nyse_closes_for_thanksgiving_and_early_the_day_after(
    calendars: ExchangeCalendarProvider,
) -> None:
    xnys = calendars.load("XNYS")
    assert not xnys.is_session(date(2026, 11, 26))
    _, early_close = xnys.session_bounds(date(2026, 11, 27))
    assert early_close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 13:00 New York


def test_the_always_open_calendar_is_open_at_any_hour(calendars: ExchangeCalendarProvider) -> None:
    always = calendars.load("24/7")
    assert always.is_open(datetime(2026, 11, 29, 3, 17, tzinfo=UTC))  # a Sunday night
    assert always.is_session(date(2026, 12, 25))


def test_an_unknown_calendar_code_suggests_the_close_ones(
    calendars: ExchangeCalendarProvider,
) -> None:
    with pytest.raises(
        CalendarError, match=r"Unknown exchange calendar 'XKRZ'\. Did you mean .*XKRX"
    ):
        calendars.load("XKRZ")


def test_times_outside_the_calendar_or_naive_are_refused_clearly(
    xkrx: ExchangeTradingCalendar,
) -> None:
    with pytest.raises(CalendarError, match="outside the XKRX calendar, which covers 2025-01-02"):
        xkrx.is_open(datetime(2031, 1, 1, tzinfo=UTC))
    with pytest.raises(CalendarError, match="must carry a time zone"):
        xkrx.is_open(datetime(2026, 1, 1))
    with pytest.raises(CalendarError, match="is not a XKRX trading day"):
        xkrx.session_bounds(date(2026, 11, 28))
    with pytest.raises(CalendarError, match="outside the XKRX calendar"):
        xkrx.is_session(date(2031, 1, 1))


async def test_the_provider_builds_each_calendar_once(calendars: ExchangeCalendarProvider) -> None:
    first = await calendars.get("XKRX")
    assert await calendars.get("XKRX") is first
    assert calendars.load("XKRX") is first


def _minutes(first: datetime, count: int, step: timedelta) -> list[datetime]:
    return [first + step * i for i in range(count)]


@pytest.mark.parametrize(
    ("code", "first"),
    [
        # Chuseok, a late open on the first day of the year, weekends.
        ("XKRX", datetime(2025, 10, 2, tzinfo=UTC)),
        ("XKRX", datetime(2025, 12, 30, tzinfo=UTC)),
        # A lunch break (12:00 to 13:00 Hong Kong time).
        ("XHKG", datetime(2025, 11, 3, tzinfo=UTC)),
    ],
)
def test_the_whole_table_answers_equal_the_one_at_a_time_answers(
    calendars: ExchangeCalendarProvider, code: str, first: datetime
) -> None:
    calendar = calendars.load(code)
    # Every minute of ten days, and instants between minutes (boundaries are exact).
    moments = _minutes(first, 10 * 1440, timedelta(minutes=1))
    moments += _minutes(
        first + timedelta(seconds=59, microseconds=999_999), 2000, timedelta(minutes=7)
    )
    instants = np.array(
        [
            (m - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
            for m in moments
        ],
        dtype=np.int64,
    )

    assert calendar.open_mask(instants).tolist() == [calendar.is_open(m) for m in moments]
    assert calendar.session_days(instants).tolist() == [
        calendar.session_date(m).toordinal() for m in moments
    ]
    assert calendar.open_mask(instants).any()


def test_the_whole_table_refuses_instants_outside_the_calendar(
    xkrx: ExchangeTradingCalendar,
) -> None:
    beyond = np.array([int(datetime(2031, 1, 1, tzinfo=UTC).timestamp()) * 10**9], dtype=np.int64)
    with pytest.raises(CalendarError, match="outside the XKRX calendar"):
        xkrx.open_mask(beyond)
    with pytest.raises(CalendarError, match="outside the XKRX calendar"):
        xkrx.session_days(beyond)


def test_a_calendar_kept_on_disk_is_read_back_with_the_same_sessions(tmp_path: Path) -> None:
    kept = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path)
    built = kept.load("XKRX")
    (stored,) = tmp_path.glob("XKRX-2025-01-01-2025-12-31-xcals*.npz")

    again = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path)
    read = again.load("XKRX")

    assert read is not built
    assert (read.code, read.timezone) == ("XKRX", "Asia/Seoul")
    days = built.sessions_between(date(2025, 1, 1), date(2025, 12, 31))
    assert read.sessions_between(date(2025, 1, 1), date(2025, 12, 31)) == days
    assert [read.session_bounds(d) for d in days] == [built.session_bounds(d) for d in days]
    assert list(tmp_path.glob("*.partial")) == []
    assert stored.stat().st_size > 0


def test_a_damaged_calendar_file_is_built_again(tmp_path: Path) -> None:
    ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path).load("XKRX")
    (stored,) = tmp_path.glob("*.npz")
    stored.write_bytes(b"not a calendar")

    rebuilt = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path)

    assert rebuilt.load("XKRX").is_session(date(2025, 11, 3))
    assert ExchangeTradingCalendar.load(stored).is_session(date(2025, 11, 3))


def test_a_calendar_whose_code_has_a_slash_is_kept_in_the_folder_itself(tmp_path: Path) -> None:
    kept = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 1, 31), cache=tmp_path)
    always = kept.load("24/7")

    (stored,) = tmp_path.iterdir()
    assert stored.name.startswith("24%2F7-2025-01-01-2025-01-31-xcals")
    again = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 1, 31), cache=tmp_path)
    assert again.load("24/7").is_open(datetime(2025, 1, 5, 3, tzinfo=UTC)) is always.is_open(
        datetime(2025, 1, 5, 3, tzinfo=UTC)
    )


SHIPPED = Path(__file__).resolve().parents[3] / "resources" / "calendars"


def _sessions(calendar: ExchangeTradingCalendar, first: date, last: date) -> list[object]:
    days = calendar.sessions_between(first, last)
    return [(day, calendar.session_bounds(day), calendar.is_open(day_noon(day))) for day in days]


def day_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC)  # 12:30 in Seoul


def test_the_shipped_krx_calendar_is_the_one_the_pinned_library_builds(tmp_path: Path) -> None:
    # Fails after exchange_calendars' pin moves until `python packaging/calendars.py` is run.
    span = (date(2024, 1, 1), date(2027, 12, 31))
    shipped = ExchangeCalendarProvider(*span, shipped=(SHIPPED,))
    assert shipped._stored("XKRX") is not None, f"no XKRX calendar in {SHIPPED} for this version"

    built = ExchangeCalendarProvider(*span).build("XKRX")

    assert _sessions(shipped.load("XKRX"), *span) == _sessions(built, *span)


def test_a_kept_calendar_covering_a_wider_span_serves_a_narrower_one_cut_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path).load("24/7")
    narrower = ExchangeCalendarProvider(date(2025, 3, 1), date(2025, 3, 31), cache=tmp_path)
    monkeypatch.setattr(narrower, "build", lambda code: pytest.fail(f"{code} was built again"))

    march = narrower.load("24/7")

    assert march.sessions_between(date(2025, 1, 1), date(2025, 12, 31))[0] == date(2025, 3, 1)
    assert march.sessions_between(date(2025, 1, 1), date(2025, 12, 31))[-1] == date(2025, 3, 31)
    with pytest.raises(CalendarError, match="outside the 24/7 calendar"):
        march.is_open(datetime(2025, 6, 1, tzinfo=UTC))
    assert [p.name for p in tmp_path.iterdir()] == [
        ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31)).file_name("24/7")
    ], "a calendar served from a wider one is not kept again"


def test_a_kept_calendar_that_does_not_cover_the_span_is_not_used(tmp_path: Path) -> None:
    ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 6, 30), cache=tmp_path).load("24/7")
    wider = ExchangeCalendarProvider(date(2025, 1, 1), date(2025, 12, 31), cache=tmp_path)

    assert wider.load("24/7").is_session(date(2025, 12, 31))
    assert len(list(tmp_path.glob("24%2F7-*.npz"))) == 2


def test_a_damaged_shipped_calendar_is_passed_over_for_one_built_and_kept(tmp_path: Path) -> None:
    shipped, cache = tmp_path / "shipped", tmp_path / "cache"
    shipped.mkdir()
    wide = ExchangeCalendarProvider(date(2020, 1, 1), date(2030, 12, 31))
    (shipped / wide.file_name("24/7")).write_bytes(b"damaged")
    provider = ExchangeCalendarProvider(
        date(2025, 1, 1), date(2025, 1, 31), cache=cache, shipped=(shipped,)
    )

    assert provider.load("24/7").is_session(date(2025, 1, 31))
    assert len(list(cache.glob("*.npz"))) == 1
    assert (shipped / wide.file_name("24/7")).read_bytes() == b"damaged", "shipped is read-only"


def test_a_provider_without_an_end_keys_its_calendars_by_a_fixed_end() -> None:
    provider = ExchangeCalendarProvider(date(2025, 1, 1))
    first, last = provider.span

    assert first == date(2025, 1, 1)
    assert last == datetime.now(UTC).date() + timedelta(days=365)
    assert provider.file_name("XKRX").startswith(f"XKRX-2025-01-01-{last.isoformat()}-xcals")
