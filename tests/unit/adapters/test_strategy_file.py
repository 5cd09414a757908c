"""The strategy file: read exactly, written back equal, and every mistake placed on its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from livetrader_gui.adapters.strategy_file import (
    StrategyFileError,
    dump_strategy,
    load_strategy,
    save_strategy,
)
from tests.builders import T0, strategy


def test_a_strategy_written_out_reads_back_equal(tmp_path: Path) -> None:
    original = strategy(position_pct=Decimal("12.5"), name='Pull "back" 한국')
    path = tmp_path / "s.toml"
    save_strategy(path, original)

    loaded = load_strategy(path, T0).strategy

    assert loaded.rules_hash == original.rules_hash
    assert (loaded.name, loaded.symbols, loaded.entry_rule) == (
        original.name,
        original.symbols,
        original.entry_rule,
    )
    assert loaded.risk_config == original.risk_config


def test_numbers_are_read_as_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(dump_strategy(strategy()).replace("position_pct = 10", "position_pct = 0.1"))

    assert load_strategy(path, T0).strategy.position_pct == Decimal("0.1")


def test_an_existing_file_is_not_overwritten_without_consent(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("keep me")

    with pytest.raises(FileExistsError, match="exists"):
        save_strategy(path, strategy())
    assert path.read_text() == "keep me"
    save_strategy(path, strategy(), overwrite=True)
    assert load_strategy(path, T0).strategy.name == "SMA pullback"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("name = ", "nmae = "), ":1: unknown setting 'nmae'"),
        (lambda t: t.replace('exchange = "XKRX"\n', ""), "'exchange' is missing"),
        (lambda t: t.replace('symbols = ["005930"]', 'symbols = "005930"'), ":2: 'symbols'"),
        (lambda t: t.replace("max_positions = 3", "max_positions = 2.5"), ":8: 'max_positions'"),
        (lambda t: t.replace("= 20", "= 120", 1), ":9: max position size"),
        (lambda t: t.replace("[sizing]\nposition_pct = 10", ""), "'position_pct' is missing"),
        (lambda t: t.replace('name = "', "name = "), ":1: not valid TOML"),
    ],
)
def test_mistakes_are_reported_with_their_line(tmp_path: Path, edit: object, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(edit(dump_strategy(strategy())))  # type: ignore[operator]

    with pytest.raises(StrategyFileError, match=message.replace("(", r"\(")) as error:
        load_strategy(path, T0)
    assert str(error.value).startswith(str(path))


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StrategyFileError, match="cannot read the strategy file"):
        load_strategy(tmp_path / "missing.toml", T0)
