"""Paper trading: the live runner on simulated fills against a real quote feed."""

from livetrader_gui.application.paper_trading.book import PaperBook
from livetrader_gui.application.paper_trading.days import MIN_SESSION_COVERAGE, PaperDays
from livetrader_gui.application.paper_trading.gateway import PaperGateway

__all__ = [
    "MIN_SESSION_COVERAGE",
    "PaperBook",
    "PaperDays",
    "PaperGateway",
]
