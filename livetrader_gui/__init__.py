"""LiveTrader: run rule-based strategies live, behind an evidence-based go-live gate."""

__version__ = "0.1.0"
