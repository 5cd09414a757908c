"""The review after a restart: a row per line, a choice per waiting line, the decisions sent
to the desk in order, and the sessions resumed only once nothing waits.

The desk is a fake of what the dialog asks (``ReviewDesk``); the real decisions are tested in
``tests/unit/application/test_restart_review.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QTableWidgetItem
from pytestqt.qtbot import QtBot

from livetrader_gui.application.live_trading.restart_review import (
    Decision,
    ReviewKind,
    ReviewLine,
)
from livetrader_gui.ui.commands import CommandRunner
from livetrader_gui.ui.widgets.restart_review_dialog import RestartReviewDialog

BROKER = "Upbit (local copy at http://127.0.0.1:8601)"


def lines() -> list[ReviewLine]:
    return [
        ReviewLine(
            1, ReviewKind.FILL_WHILE_DOWN, "UPBIT", "KRW-XRP",
            "KRW-XRP: BUY 3 at 812 filled at 2026-12-07 02:30:05 UTC while LiveTrader was down "
            "(order LT-5c1f, fill UPBIT-77a0)",
            (Decision.ADOPT, Decision.FLATTEN), Decision.ADOPT,
            "recorded under the venue's own fill id",
        ),
        ReviewLine(
            2, ReviewKind.POSITION, "UPBIT", "KRW-XRP",
            f"KRW-XRP: the sessions hold 24.95, {BROKER} holds 31.95",
            (Decision.ADOPT, Decision.FLATTEN, Decision.IGNORE),
        ),
        ReviewLine(
            3, ReviewKind.FOREIGN_ORDER, "UPBIT", "KRW-XRP",
            f"{BROKER} has an open order 9f2e (BUY 20 KRW-XRP) that no session placed",
            (Decision.FLATTEN, Decision.IGNORE),
        ),
    ]  # fmt: skip


@dataclass
class FakeDesk:
    """Keeps the review's lines; carries a decision out by writing what was done."""

    lines: list[ReviewLine] = field(default_factory=lines)
    decided: list[tuple[int, Decision]] = field(default_factory=list)
    resumed: int = 0

    def restart_review(self) -> list[ReviewLine]:
        return list(self.lines)

    async def decide(self, number: int, decision: Decision) -> ReviewLine:
        self.decided.append((number, decision))
        done = replace(self.lines[number - 1], decision=decision, outcome=f"{decision.value}d")
        self.lines[number - 1] = done
        return done

    async def resume_after_review(self) -> list[str]:
        self.resumed += 1
        return ["S-1", "S-2"]


def opened(qtbot: QtBot, desk: FakeDesk) -> tuple[RestartReviewDialog, list[str]]:
    reports: list[str] = []
    shown = RestartReviewDialog(desk, CommandRunner(reports.append))
    qtbot.addWidget(shown)
    return shown, reports


def cell(shown: RestartReviewDialog, row: int, column: int) -> str:
    return (shown.table.item(row, column) or QTableWidgetItem()).text()


def choice(shown: RestartReviewDialog, row: int) -> QComboBox:
    box = shown.table.cellWidget(row, 3)
    assert isinstance(box, QComboBox)
    return box


async def test_each_line_is_a_row_and_only_waiting_lines_ask_for_a_choice(qtbot: QtBot) -> None:
    shown, _ = opened(qtbot, FakeDesk())

    assert shown.table.rowCount() == 3
    assert [cell(shown, r, 0) for r in range(3)] == ["1", "2", "3"]
    assert "while LiveTrader was down" in cell(shown, 0, 2)
    assert cell(shown, 0, 4) == "recorded under the venue's own fill id"
    assert choice(shown, 0).currentText() == "Adopt", "a recorded fill is adopted already"
    assert choice(shown, 1).currentText() == "Choose…"
    assert [choice(shown, 1).itemText(i) for i in range(4)] == [
        "Choose…", "Adopt", "Flatten", "Ignore",
    ]  # fmt: skip
    assert [choice(shown, 2).itemText(i) for i in range(3)] == ["Choose…", "Flatten", "Ignore"]
    assert "2 wait for your decision; no session resumes" in shown.summary.text()
    assert not shown.resume_button.isEnabled()


async def test_applying_sends_the_chosen_decisions_and_resume_waits_until_none_is_left(
    qtbot: QtBot,
) -> None:
    desk = FakeDesk()
    shown, _ = opened(qtbot, desk)
    choice(shown, 1).setCurrentText("Adopt")

    shown.apply_button.click()
    await shown._commands.wait()

    assert desk.decided == [(2, Decision.ADOPT)]
    assert cell(shown, 1, 4) == "adoptd"
    assert shown.outcome.text() == "line 2: adoptd"
    assert not shown.resume_button.isEnabled(), "line 3 still waits"

    choice(shown, 2).setCurrentText("Ignore")
    shown.apply_button.click()
    await shown._commands.wait()

    assert desk.decided == [(2, Decision.ADOPT), (3, Decision.IGNORE)]
    assert "Every line is decided" in shown.summary.text()
    assert shown.resume_button.isEnabled()
    assert not shown.apply_button.isEnabled()
    shown.resume_button.click()
    await shown._commands.wait()
    assert desk.resumed == 1


async def test_apply_with_nothing_chosen_asks_for_a_choice_and_sends_nothing(
    qtbot: QtBot,
) -> None:
    desk = FakeDesk()
    shown, _ = opened(qtbot, desk)

    shown.apply_button.click()
    await shown._commands.wait()

    assert desk.decided == []
    assert shown.outcome.text() == "Choose a decision for a line first."


async def test_a_refused_decision_is_told_in_the_dialog_and_the_line_still_waits(
    qtbot: QtBot,
) -> None:
    desk = FakeDesk()

    async def refuse(number: int, decision: Decision) -> ReviewLine:
        raise ValueError("KRW-XRP: no price is known to adopt it at")

    desk.decide = refuse  # type: ignore[method-assign]
    shown, reports = opened(qtbot, desk)
    choice(shown, 1).setCurrentText("Adopt")

    shown.apply_button.click()
    await shown._commands.wait()

    assert shown.outcome.text() == (
        "Applying the decisions failed: KRW-XRP: no price is known to adopt it at"
    )
    assert reports == [shown.outcome.text()]
    assert choice(shown, 1).currentText() == "Choose…"
    assert shown.apply_button.isEnabled()


async def test_the_review_renders(qtbot: QtBot, tmp_path: Path) -> None:
    shown, _ = opened(qtbot, FakeDesk())
    shown.resize(1000, 380)
    shown.show()
    qtbot.waitExposed(shown)

    assert shown.grab().save(str(tmp_path / "review.png"))
