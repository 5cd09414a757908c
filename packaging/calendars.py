"""Write the trading calendars the app ships, into ``resources/calendars/``.

Building XKRX takes seconds (exchange_calendars computes its lunar holidays for every year it
knows), which a first launch would otherwise spend before a trader can do anything. The sessions
do not change for one version of the library, so they are built here once and shipped; the app
reads them (``ExchangeCalendarProvider(shipped=...)``), cut to the span it needs, and builds a
calendar itself only where none shipped covers it. The file name carries the library's version:
after the pin changes, run this again (a test fails until then).

Usage: ``python packaging/calendars.py [CODE ...]`` (default: the calendars the app opens at
start-up).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider  # noqa: E402

FOLDER = ROOT / "resources" / "calendars"
# Wide enough for the app's span (two years back, one ahead) until 2034, and for the demo's.
SHIPPED_SPAN = (date(2020, 1, 1), date(2035, 12, 31))
SHIPPED_CODES = ("XKRX",)


def ship(codes: tuple[str, ...] = SHIPPED_CODES, folder: Path = FOLDER) -> list[Path]:
    """Build *codes* over the shipped span into *folder*; remove what older versions left."""
    folder.mkdir(parents=True, exist_ok=True)
    provider = ExchangeCalendarProvider(*SHIPPED_SPAN)
    written = []
    for code in codes:
        name = provider.file_name(code)
        stem = name.split("-", 1)[0]
        for old in folder.glob(f"{stem}-*.npz"):
            if old.name != name:
                old.unlink()
        path = folder / name
        provider.build(code).save(path)
        written.append(path)
    return written


def main() -> int:
    codes = tuple(sys.argv[1:]) or SHIPPED_CODES
    for path in ship(codes):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
