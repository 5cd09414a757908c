"""The calendars the app uses: whole years, kept in the user's cache, seeded by those it ships."""

from __future__ import annotations

from datetime import date

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider, user_cache
from livetrader_gui.ui.resources import resource_folder


def calendar_provider(first: date, last: date) -> ExchangeCalendarProvider:
    """Return a provider covering *first* to *last*, widened to whole years.

    Whole years keep the key of a kept calendar the same from one day (or candle file) to the
    next, and the calendars shipped in ``resources/calendars`` cover a wider span still.
    """
    shipped = resource_folder("calendars")
    return ExchangeCalendarProvider(
        start=date(first.year, 1, 1),
        end=date(last.year, 12, 31),
        cache=user_cache(),
        shipped=(shipped,) if shipped is not None else (),
    )
