"""Run the trader's commands off the click: as tasks on the loop, with their errors reported.

A button's handler must return at once; the command (a coroutine on the desk) runs as a task.
An error meant for the trader (its message names what is wrong) is shown as it is; anything
else is logged with its traceback and shown as one sentence that points at the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

_log = logging.getLogger(__name__)

Report = Callable[[str], None]
Confirm = Callable[[str, str], bool]


def ask(parent: QWidget) -> Confirm:
    """Return a confirmation that asks the trader with a Yes/No dialog (No by default)."""

    def confirm(title: str, question: str) -> bool:
        answer = QMessageBox.question(
            parent,
            title,
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    return confirm


class CommandRunner:
    """Starts commands as tracked tasks; reports each failure through *report*."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self._tasks: set[asyncio.Task[Any]] = set()

    def run(
        self,
        what: str,
        command: Coroutine[Any, Any, Any],
        done: Callable[[Any], None] | None = None,
        failed: Report | None = None,
    ) -> asyncio.Task[Any]:
        """Start *command*; call *done* with its result, or report why *what* failed (and tell
        *failed* too: the dialog that gave the command shows it where the trader looks)."""

        async def guarded() -> Any:
            # Imported here, not at the top: the window that owns this runner paints before the
            # application layer (pandas, TA-Lib) is loaded, and no command runs before then.
            from livetrader_gui.application.desk import TRADER_ERRORS

            try:
                result = await command
            except TRADER_ERRORS as error:
                message = f"{what} failed: {error}"
            except Exception as error:
                _log.exception("%s failed", what)
                message = f"{what} failed: {error} (details in the log)"
            else:
                if done is not None:
                    done(result)
                return result
            self.report(message)
            if failed is not None:
                failed(message)
            return None

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait(self) -> None:
        """Wait for the commands still running (the window waits before it closes)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
