"""One set of risk rules: the backtester and the live runner read the risk limits only to hand
them to the domain's rules, so no second copy of a rule can hide in either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "livetrader_gui"
LIMITS = {
    "max_positions",
    "max_position_size_pct",
    "max_daily_loss_pct",
    "stop_loss_pct",
    "take_profit_pct",
}
# The domain's rules (domain/risk_rules.py, domain/sizing.py): the only places a limit goes.
RULES = {
    "check_entry",
    "check_exit",
    "daily_loss_limit",
    "is_daily_limit_reached",
    "next_trading_state",
    "protective_exit",
    "stop_loss_level",
    "take_profit_level",
    "position_quantity",
    "EntryProposal",
    "RiskStatus",  # not a rule: the gauge shows the limit beside where the session stands
}
ENGINES = [
    "processing/backtest.py",
    "processing/backtest_run.py",
    "application/live_trading/runner.py",
    "application/live_trading/signal_flow.py",
    "application/live_trading/daily_risk.py",
]


def limits_outside_rules(source: str) -> list[str]:
    """Return each reading of a risk limit that is not an argument of a domain rule."""
    tree = ast.parse(source)
    handed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in RULES:
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    handed.add(id(argument))
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in LIMITS and id(node) not in handed
    ]


@pytest.mark.parametrize("module", ENGINES)
def test_the_engines_hand_every_risk_limit_to_the_domain_rules(module: str) -> None:
    assert limits_outside_rules((ROOT / module).read_text(encoding="utf-8")) == []


def test_the_backtester_imports_the_rules_the_runner_uses() -> None:
    tree = ast.parse((ROOT / "processing/backtest_run.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module in ("livetrader_gui.domain.risk_rules", "livetrader_gui.domain.sizing")
        for alias in node.names
    }
    assert {
        "check_entry",
        "check_exit",
        "is_daily_limit_reached",
        "next_trading_state",
        "protective_exit",
        "protective_fill_price",
        "position_quantity",
    } <= imported


def test_the_check_finds_a_rule_written_again() -> None:
    copy = "if price <= entry * (1 - controls.stop_loss_pct / 100):\n    pass\n"
    handed = "stop = stop_loss_level(entry, controls.stop_loss_pct)\n"

    assert limits_outside_rules(copy) == ["line 1: .stop_loss_pct"]
    assert limits_outside_rules(handed) == []
