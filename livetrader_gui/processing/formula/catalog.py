"""The functions a formula may call, their parameters and what they return."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Type(Enum):
    """What an expression produces."""

    NUMBER = "a number"
    CONDITION = "a condition"


class Param(Enum):
    """What an argument must be."""

    SERIES = "series"  # any numeric expression, evaluated bar by bar
    PERIOD = "period"  # a whole-number literal from MIN_PERIOD to MAX_PERIOD
    FACTOR = "factor"  # a number literal above 0 and at most MAX_FACTOR


MIN_PERIOD = 1
MAX_PERIOD = 1000
MAX_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function of the language: its parameters, result and a one-line description."""

    name: str
    params: tuple[tuple[str, Param], ...]
    returns: Type
    summary: str

    def signature(self) -> str:
        """Return the call as a trader writes it, such as ``sma(x, n)``."""
        return f"{self.name}({', '.join(name for name, _ in self.params)})"


_X = ("x", Param.SERIES)
_N = ("n", Param.PERIOD)
_MACD = (_X, ("fast", Param.PERIOD), ("slow", Param.PERIOD), ("signal", Param.PERIOD))


def _spec(name: str, params: tuple[tuple[str, Param], ...], summary: str) -> FunctionSpec:
    return FunctionSpec(name, params, Type.NUMBER, summary)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        _spec("sma", (_X, _N), "simple moving average of the last n bars (TA-Lib SMA)"),
        _spec("ema", (_X, _N), "exponential moving average, seeded with the SMA (TA-Lib EMA)"),
        _spec("wma", (_X, _N), "linearly weighted moving average (TA-Lib WMA)"),
        _spec("rsi", (_X, _N), "Wilder's relative strength index, 0 to 100 (TA-Lib RSI)"),
        _spec("macd", _MACD, "MACD line: fast EMA minus slow EMA (TA-Lib MACD)"),
        _spec("macd_signal", _MACD, "EMA of the MACD line (TA-Lib MACD signal)"),
        _spec("macd_hist", _MACD, "MACD line minus its signal (TA-Lib MACD histogram)"),
        _spec(
            "bb_upper",
            (_X, _N, ("k", Param.FACTOR)),
            "upper Bollinger band: SMA + k population standard deviations (TA-Lib BBANDS)",
        ),
        _spec("bb_middle", (_X, _N), "middle Bollinger band: the SMA (TA-Lib BBANDS)"),
        _spec(
            "bb_lower",
            (_X, _N, ("k", Param.FACTOR)),
            "lower Bollinger band: SMA - k population standard deviations (TA-Lib BBANDS)",
        ),
        _spec("stddev", (_X, _N), "population standard deviation of n bars (TA-Lib STDDEV)"),
        _spec("atr", (_N,), "average true range of high, low and close (TA-Lib ATR)"),
        _spec("roc", (_X, _N), "rate of change in percent against n bars ago (TA-Lib ROC)"),
        _spec("highest", (_X, _N), "highest value of the last n bars, this one included"),
        _spec("lowest", (_X, _N), "lowest value of the last n bars, this one included"),
        _spec("ref", (_X, _N), "the value n bars ago"),
        FunctionSpec(
            "crossover",
            (("a", Param.SERIES), ("b", Param.SERIES)),
            Type.CONDITION,
            "a rises above b: a > b on this bar and a <= b on the previous one",
        ),
        FunctionSpec(
            "crossunder",
            (("a", Param.SERIES), ("b", Param.SERIES)),
            Type.CONDITION,
            "a falls below b: a < b on this bar and a >= b on the previous one",
        ),
        _spec("abs", (_X,), "absolute value"),
        _spec("min", (("a", Param.SERIES), ("b", Param.SERIES)), "the smaller of a and b"),
        _spec("max", (("a", Param.SERIES), ("b", Param.SERIES)), "the larger of a and b"),
    )
}
