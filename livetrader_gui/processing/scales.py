"""Which axis a rule's indicator belongs on when it is drawn over the candles.

``sma(close, 20)`` is a price and goes over the candles; ``sma(volume, 20)`` goes over the volume
bars; ``rsi(close, 14)`` or ``atr(14)`` have units of their own and get a pane of their own.
"""

from __future__ import annotations

from enum import Enum

from livetrader_gui.processing.program import Instruction, Program


class IndicatorScale(Enum):
    """The axis an indicator is drawn on."""

    PRICE = "price"
    VOLUME = "volume"
    OWN = "own"


# Functions and operators whose value is in the units of their series inputs.
_SAME_UNITS = frozenset(
    {"sma", "ema", "wma", "bb_upper", "bb_middle", "bb_lower", "highest", "lowest", "ref",
     "min", "max", "+", "-"}
)  # fmt: skip


def indicator_scales(program: Program) -> dict[str, IndicatorScale]:
    """Return the scale of each function the rule calls, by its text (crossings excluded)."""
    scales: list[IndicatorScale | None] = []
    for instruction in program.instructions:
        scales.append(_scale(instruction, scales))
    return {
        instruction.label: scales[slot] or IndicatorScale.OWN
        for slot, instruction in enumerate(program.instructions)
        if instruction.label and instruction.op not in ("crossover", "crossunder")
    }


def _scale(instruction: Instruction, scales: list[IndicatorScale | None]) -> IndicatorScale | None:
    """Return the instruction's scale; None for a number, which takes its neighbour's."""
    op = instruction.op
    if op == "number":
        return None
    if op == "column":
        return IndicatorScale.VOLUME if instruction.name == "volume" else IndicatorScale.PRICE
    scaled = [scales[slot] for slot in instruction.inputs if scales[slot] is not None]
    if op in ("*", "/", "-") and len(scaled) > 1:
        return IndicatorScale.OWN  # close * volume, close / open and close - open are not prices
    if op in _SAME_UNITS or op in ("*", "/"):
        if not scaled:
            return None
        # close * 1.02 is a price; max(close, volume) mixes units and has an axis of its own.
        return scaled[0] if len(set(scaled)) == 1 else IndicatorScale.OWN
    return IndicatorScale.OWN
