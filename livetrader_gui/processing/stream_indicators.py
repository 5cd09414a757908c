"""Indicators one bar at a time, repeating TA-Lib's arithmetic step for step.

Each factory returns a step that reads its input from slot ``source`` of the bar's value list and
writes the indicator's value on that bar (NaN while warming up) to slot ``slot``. The floating-point
operations are TA-Lib's, in TA-Lib's order, so a stream fed a whole history gives the numbers the
array functions give. An undefined input (NaN or infinite) restarts the indicator, as
:func:`indicators.by_runs` does for arrays. Steps are closures, the cheapest call Python has: the
per-tick path runs them for every symbol on every bar.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from livetrader_gui.processing.indicators import TA_EPSILON

NAN = math.nan
Step = Callable[[list[float]], None]


def sma(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib SMA step: add the new value, divide, then drop the oldest."""
    ring = [0.0] * n  # the last n values; ``oldest`` points at the one to drop next
    oldest = 0
    count = 0
    total = 0.0

    def step(values: list[float]) -> None:
        nonlocal oldest, count, total
        x = values[source]
        if x - x:  # NaN or infinite
            oldest = count = 0
            total = 0.0
            values[slot] = NAN
            return
        total += x
        if count < n:
            ring[count] = x
            count += 1
            if count < n:
                values[slot] = NAN
                return
        else:
            ring[oldest] = x
            oldest += 1
            if oldest == n:
                oldest = 0
        values[slot] = total / n
        total -= ring[oldest]

    return step


def ema(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib EMA step, seeded with the SMA of the first n values."""
    k = 2.0 / (n + 1)
    seed_sum = 0.0
    count = 0
    average = NAN

    def step(values: list[float]) -> None:
        nonlocal seed_sum, count, average
        x = values[source]
        if x - x != 0.0:
            seed_sum, count, average = 0.0, 0, NAN
        elif count >= n:
            average = ((x - average) * k) + average
        else:
            seed_sum += x
            count += 1
            if count == n:
                average = seed_sum / n
        values[slot] = average

    return step


def wma(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib WMA step (a running weighted sum less the running plain sum)."""
    if n == 1:
        return copy(source, slot)
    divider = float((n * (n + 1)) >> 1)
    window: deque[float] = deque()
    period_sum = period_sub = trailing = 0.0

    def step(values: list[float]) -> None:
        nonlocal period_sum, period_sub, trailing
        x = values[source]
        values[slot] = NAN
        if x - x != 0.0:
            window.clear()
            period_sum = period_sub = trailing = 0.0
            return
        window.append(x)
        period_sub += x
        if len(window) < n:
            period_sum += x * len(window)
            return
        period_sub -= trailing
        period_sum += x * n
        trailing = window.popleft()
        values[slot] = period_sum / divider
        period_sum -= period_sub

    return step


def rsi(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib RSI step: n changes averaged, then Wilder's smoothing."""
    previous = NAN
    changes = 0
    gain = loss = 0.0

    def step(values: list[float]) -> None:
        nonlocal previous, changes, gain, loss
        x = values[source]
        values[slot] = NAN
        if x - x != 0.0:
            previous, changes, gain, loss = NAN, 0, 0.0, 0.0
            return
        if previous != previous:
            previous = x
            return
        change = x - previous
        previous = x
        if changes >= n:
            loss *= n - 1
            gain *= n - 1
        if change < 0:
            loss -= change
        else:
            gain += change
        changes += 1
        if changes < n:
            return
        loss /= n
        gain /= n
        total = gain + loss
        values[slot] = 100.0 * (gain / total) if not -TA_EPSILON < total < TA_EPSILON else 0.0

    return step


def copy(source: int, slot: int) -> Step:
    """Return a step that copies a finite value and marks anything else undefined."""

    def step(values: list[float]) -> None:
        x = values[source]
        values[slot] = x if x - x == 0.0 else NAN

    return step


def _ema_feed(n: int) -> Callable[[float], float]:
    values = [NAN, NAN]
    step = ema(n, 0, 1)

    def feed(x: float) -> float:
        values[0] = x
        step(values)
        return values[1]

    return feed


def macd(fast: int, slow: int, signal: int, part: int, source: int, slot: int) -> Step:
    """Return a step of one TA-Lib MACD output (0 line, 1 signal, 2 histogram).

    TA-Lib starts the fast EMA so that it is first defined on the same bar as the slow one.
    """
    if slow < fast:
        fast, slow = slow, fast
    feeds: list[Callable[[float], float]] = []
    seen = 0

    def restart() -> None:
        nonlocal seen
        seen = 0
        feeds[:] = [_ema_feed(fast), _ema_feed(slow), _ema_feed(signal)]

    restart()

    def step(values: list[float]) -> None:
        nonlocal seen
        x = values[source]
        values[slot] = NAN
        if x - x != 0.0:
            restart()
            return
        seen += 1
        fast_value = feeds[0](x) if seen > slow - fast else NAN
        slow_value = feeds[1](x)
        if seen < slow:
            return
        line = fast_value - slow_value
        signal_value = feeds[2](line)
        if signal_value != signal_value:
            return
        if part == 0:
            values[slot] = line
        else:
            values[slot] = signal_value if part == 1 else line - signal_value

    return step


def bbands(n: int, k: float, part: int, source: int, slot: int) -> Step:
    """Return a step of one TA-Lib BBANDS band (0 upper, 1 middle, 2 lower)."""
    if n == 1:
        return copy(source, slot)
    if part == 1:
        return _deviation(n, source, slot, lambda middle, deviation: middle)
    if part == 0:
        return _deviation(n, source, slot, lambda middle, deviation: middle + deviation * k)
    return _deviation(n, source, slot, lambda middle, deviation: middle - deviation * k)


def stddev(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib STDDEV step (population, one deviation); 0 for n = 1."""
    if n == 1:
        return _deviation(n, source, slot, lambda mean, deviation: 0.0)
    return _deviation(n, source, slot, lambda mean, deviation: deviation)


def _deviation(n: int, source: int, slot: int, finish: Callable[[float, float], float]) -> Step:
    """Return a step of ``finish(mean, deviation)`` over the last n values.

    The population deviation comes from running sums of the values and of their squares, as
    TA-Lib's STDDEV and BBANDS compute it, with variances below its zero threshold taken as 0.
    """
    window: deque[float] = deque()
    total = squares = 0.0

    def step(values: list[float]) -> None:
        nonlocal total, squares
        x = values[source]
        values[slot] = NAN
        if x - x != 0.0:
            window.clear()
            total = squares = 0.0
            return
        total += x
        squares += x * x
        window.append(x)
        if len(window) < n:
            return
        mean = total / n
        mean_square = squares / n
        oldest = window.popleft()
        total -= oldest
        squares -= oldest * oldest
        variance = mean_square - mean * mean
        values[slot] = finish(mean, math.sqrt(variance) if variance >= TA_EPSILON else 0.0)

    return step


def atr(n: int, slot: int) -> Step:
    """Return a TA-Lib ATR step over the high, low and close slots: SMA of n true ranges, then
    Wilder's smoothing."""
    previous_close = NAN
    ranges = 0
    total = 0.0
    average = NAN

    def step(values: list[float]) -> None:
        nonlocal previous_close, ranges, total, average
        high, low, close = values[1], values[2], values[3]
        if (high - high) + (low - low) + (close - close) != 0.0:
            previous_close, ranges, total, average = NAN, 0, 0.0, NAN
            values[slot] = NAN
            return
        before = previous_close
        previous_close = close
        if before != before:
            values[slot] = NAN
            return
        true_range = max(high - low, abs(before - high), abs(before - low))
        ranges += 1
        if ranges <= n:
            total += true_range
            if ranges == n:
                average = total / n
        else:
            average *= n - 1
            average += true_range
            average /= n
        values[slot] = average

    return step


def roc(n: int, source: int, slot: int) -> Step:
    """Return a TA-Lib ROC step: percent change against n bars ago, 0 when that value was 0."""
    window: deque[float] = deque()

    def step(values: list[float]) -> None:
        x = values[source]
        values[slot] = NAN
        if x - x != 0.0:
            window.clear()
            return
        window.append(x)
        if len(window) <= n:
            return
        before = window.popleft()
        values[slot] = ((x / before) - 1.0) * 100.0 if before != 0.0 else 0.0

    return step


def extreme(n: int, source: int, slot: int, *, highest: bool) -> Step:
    """Return a step of the highest (or lowest) of the last n values.

    The best value and its age are kept; the window is scanned again only when the best value
    leaves it, which on market data is rare enough to make the step constant time on average.
    """
    window: deque[float] = deque(maxlen=n)
    pick = max if highest else min
    best = NAN
    age = 0

    def step(values: list[float]) -> None:
        nonlocal best, age
        x = values[source]
        if x - x:  # NaN or infinite
            window.clear()
            best = NAN
            values[slot] = NAN
            return
        window.append(x)
        if best != best or (x >= best if highest else x <= best):
            best, age = x, 0
        else:
            age += 1
            if age >= n:
                best = pick(window)
                # The first occurrence: with ties this rescans a little early, never late.
                age = n - 1 - window.index(best)
        values[slot] = best if len(window) == n else NAN

    return step


def ref(n: int, source: int, slot: int) -> Step:
    """Return a step of the value n bars ago, undefined values included."""
    window: deque[float] = deque(maxlen=n + 1)

    def step(values: list[float]) -> None:
        window.append(values[source])
        values[slot] = window[0] if len(window) > n else NAN

    return step
