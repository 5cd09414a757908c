"""Processing: the formula language, indicators and the backtester (pandas, numpy, TA-Lib)."""

from livetrader_gui.processing.backtest import (
    BacktestCancelledError,
    BacktestConfig,
    Backtester,
    BacktestOutcome,
    BacktestTrade,
    ExitReason,
)
from livetrader_gui.processing.engine import CandleDataError, CompiledFormula, ProcessingEngine
from livetrader_gui.processing.errors import FormulaError
from livetrader_gui.processing.scales import IndicatorScale
from livetrader_gui.processing.stream import FormulaStream

__all__ = [
    "BacktestCancelledError",
    "BacktestConfig",
    "BacktestOutcome",
    "BacktestTrade",
    "Backtester",
    "CandleDataError",
    "CompiledFormula",
    "ExitReason",
    "FormulaError",
    "FormulaStream",
    "IndicatorScale",
    "ProcessingEngine",
]
