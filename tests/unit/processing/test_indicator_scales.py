"""Each indicator of a rule is drawn on the axis of its units."""

from __future__ import annotations

import pytest

from livetrader_gui.processing import IndicatorScale, ProcessingEngine

PRICE, VOLUME, OWN = IndicatorScale.PRICE, IndicatorScale.VOLUME, IndicatorScale.OWN


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("close > sma(close, 20)", {"sma(close, 20)": PRICE}),
        ("volume > sma(volume, 20)", {"sma(volume, 20)": VOLUME}),
        ("rsi(close, 14) < 30", {"rsi(close, 14)": OWN}),
        ("atr(14) > 100", {"atr(14)": OWN}),
        ("close > highest(high, 20) * 1.01", {"highest(high, 20)": PRICE}),
        ("sma(close * volume, 5) > 0", {"sma(close * volume, 5)": OWN}),
        ("max(close, open) > 3", {"max(close, open)": PRICE}),
        ("max(close, volume) > 3", {"max(close, volume)": OWN}),
        ("sma(close / open, 5) > 1", {"sma(close / open, 5)": OWN}),
        ("sma(close + 100, 5) > 1", {"sma(close + 100, 5)": PRICE}),
        ("sma(close - open, 5) > 1", {"sma(close - open, 5)": OWN}),
        ("sma((high + low) / 2, 5) > 1", {"sma((high + low) / 2, 5)": PRICE}),
        (
            "crossover(ema(close, 12), ema(close, 26))",
            {"ema(close, 12)": PRICE, "ema(close, 26)": PRICE},
        ),
        ("abs(roc(close, 5)) > 2", {"abs(roc(close, 5))": OWN, "roc(close, 5)": OWN}),
    ],
)
def test_an_indicator_is_drawn_on_the_axis_of_its_units(
    rule: str, expected: dict[str, IndicatorScale]
) -> None:
    assert ProcessingEngine().compile(rule).indicator_scales() == expected
