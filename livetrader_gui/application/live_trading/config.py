"""How a live (or paper) session is set up."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from livetrader_gui.domain import DEFAULT_PAPER_CAPITAL, ExecutionMode, Strategy
from livetrader_gui.domain.sizing import TradingCosts


@dataclass(frozen=True, slots=True)
class LiveSessionConfig:
    """Everything ``start_session`` needs.

    Parameters
    ----------
    strategy
        The strategy version to run; the session keeps this value even if it is edited later.
    broker_id
        The registry key of the broker to trade on.
    symbols
        The symbols to trade; empty means the strategy's own.
    execution_mode
        AUTO sends orders at once; MANUAL queues each signal for the trader.
    is_paper
        Fill orders on simulated books against the broker's quotes instead of sending them.
    paper_capital
        The starting cash of a paper session's simulated account.
    tick_interval
        Real seconds between two passes over the symbols (at ``--sim-speed 60`` a pass every
        second sees a minute of the simulated market go by).
    signal_ttl
        Seconds a MANUAL signal may wait before it expires.
    costs
        Commission rate used for sizing (the broker charges its own); a paper session's
        simulated fills charge all of these costs.
    skip_prerequisites
        Bypass the go-live gate: only for replays and simulations, and journalled as such.
    """

    strategy: Strategy
    broker_id: str
    symbols: tuple[str, ...] = ()
    execution_mode: ExecutionMode = ExecutionMode.AUTO
    is_paper: bool = False
    paper_capital: Decimal = DEFAULT_PAPER_CAPITAL
    tick_interval: float = 1.0
    signal_ttl: float = 60.0
    costs: TradingCosts = field(default_factory=TradingCosts)
    skip_prerequisites: bool = False

    def __post_init__(self) -> None:
        if not self.tick_interval > 0:
            raise ValueError(f"tick interval must be above 0 s, got {self.tick_interval}")
        if not self.paper_capital > 0:
            raise ValueError(f"paper capital must be above 0, got {self.paper_capital}")
        if not self.signal_ttl > 0:
            raise ValueError(f"signal expiry must be above 0 s, got {self.signal_ttl}")

    @property
    def session_symbols(self) -> tuple[str, ...]:
        """Return the symbols the session trades."""
        return self.symbols or self.strategy.symbols


@dataclass(frozen=True, slots=True)
class RunnerLimits:
    """Timing and concurrency of a runner; the defaults suit a real broker.

    ``max_concurrent_symbols`` bounds the symbols whose broker calls are in flight at once, so a
    session of hundreds of symbols does not open hundreds of requests together. 128 processes
    500 symbols within a quarter of a second against a broker answering in 20 ms
    (``bench/runner_bench.py``); a venue with a request-rate limit enforces it in its adapter.

    ``broker_timeout`` and the reconnection delays are real seconds (the runner's timer), not
    the market's: a simulated market at 60 times real time must not time its broker out 60
    times sooner. ``pause_after_failed_ticks`` ticks failing in a row pause the session.
    """

    max_concurrent_symbols: int = 128
    broker_timeout: float = 10.0
    pause_after_failed_ticks: int = 5
    stale_quote_after: float = 60.0
    reconnect_initial_delay: float = 1.0
    reconnect_max_delay: float = 60.0
    warmup_candles: int = 300
