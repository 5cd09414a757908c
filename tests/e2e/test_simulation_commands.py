"""``replay`` and ``backtest`` take the same inputs and handle them the same way: every bad input
ends the command with exit 2 and a message naming the file and line, before anything runs; the
output is checked first and written whole or not at all; Ctrl+C stops cleanly with exit 130."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from livetrader_gui.app.simulation_inputs import Progress
from tests.e2e.simulation_files import (
    STRATEGY,
    candle_rows,
    json_lines,
    run_command,
    simulation_files,
)

COMMANDS = ["replay", "backtest"]
Change = Callable[[dict[str, Path]], None]


@pytest.fixture(params=COMMANDS)
def command(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return simulation_files(tmp_path)


def _replace_in(key: str, old: str, new: str) -> Change:
    def change(files: dict[str, Path]) -> None:
        path = files[key]
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    return change


def _write(key: str, text: str, encoding: str = "utf-8") -> Change:
    def change(files: dict[str, Path]) -> None:
        files[key].write_text(text, encoding=encoding)

    return change


def _dated(year: int) -> Change:
    def change(files: dict[str, Path]) -> None:
        text = "\n".join(candle_rows()) + "\n"
        files["candles"].write_text(text.replace("2026-11-24", f"{year}-11-24"), encoding="utf-8")

    return change


def _in_cp949(files: dict[str, Path]) -> None:
    # Excel's default on a Korean Windows: a name column in CP949.
    rows = candle_rows()
    names = {"005930": "삼성전자", "000660": "SK하이닉스"}
    lines = [rows[0] + ",name"] + [f"{r},{names[r.split(',')[1]]}" for r in rows[1:]]
    files["candles"].write_bytes(("\n".join(lines) + "\n").encode("cp949"))


BAD_INPUTS: list[tuple[str, Change, str]] = [
    (
        "missing-column",
        _write("candles", "timestamp,symbol,open,high,low,close\n"),
        "candles.csv:1: missing column volume",
    ),
    (
        "bad-number",
        _replace_in("candles", "71000,71000,71000,71000", "71000,abc,1,1"),
        "candles.csv:8: high 'abc' is not a number",
    ),
    (
        "unknown-symbol",
        _replace_in("candles", "+09:00,000660", "+09:00,035420"),
        "candles.csv:3: symbol '035420' is not one of the strategy's symbols",
    ),
    (
        "strategy-symbol-without-candles",
        _replace_in("strategy", '"000660"]', '"000660", "035420"]'),
        "strategy.toml:2: symbol '035420' has no candles in",
    ),
    (
        "cp949",
        _in_cp949,
        "candles.csv:2: not UTF-8 text (byte 0xbb at column 63); save the file as UTF-8",
    ),
    (
        "before-the-calendar",
        _dated(1950),
        "candles.csv:2: the 005930 candle of 1950-11-24 is outside the XKRX calendar: "
        "The XKRX holidays are only recorded back to the year 1956",
    ),
    (
        "after-the-calendar",
        _dated(2099),
        "candles.csv:15: the 000660 candle of 2099-11-24 is outside the XKRX calendar: "
        "The XKRX holidays are only recorded to the year 2050",
    ),
    (
        "bad-formula",
        _write("strategy", STRATEGY.replace('sma(close, 3)"\nexit', 'smaa(close, 3)"\nexit')),
        "strategy.toml:4: entry_rule: unknown function 'smaa' at column 9 — did you mean",
    ),
    (
        "unknown-exchange",
        _write("strategy", STRATEGY.replace('"XKRX"', '"XKRZ"')),
        "strategy.toml:3: Unknown exchange calendar 'XKRZ'. Did you mean XKRX",
    ),
    (
        "bad-limit",
        _write("strategy", STRATEGY.replace("max_positions = 1", "max_positions = 0")),
        "strategy.toml:8: max positions must be between 1 and 1000",
    ),
    (
        "typo",
        _write("strategy", STRATEGY.replace("[sizing]", "[sizng]")),
        "strategy.toml:12: unknown setting 'sizng'",
    ),
    (
        "strategy-in-cp949",
        _write("strategy", STRATEGY.replace('"Breakout"', '"돌파"'), encoding="cp949"),
        "strategy.toml",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [(change, message) for _, change, message in BAD_INPUTS],
    ids=[name for name, _, _ in BAD_INPUTS],
)
def test_bad_input_is_named_with_its_file_and_line_and_writes_nothing(
    command: str,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    change: Change,
    message: str,
) -> None:
    change(files)

    assert run_command(command, files) == 2

    error = capsys.readouterr().err
    assert message in error
    assert error.startswith(f"livetrader-gui {command}: ")
    assert "Traceback" not in error
    assert not files["out"].exists()
    assert _partials(files["out"].parent) == []


def _partials(folder: Path) -> list[Path]:
    return list(folder.glob(".*.partial"))


def test_a_utf8_file_with_a_byte_order_mark_reads_as_without_one(
    command: str, files: dict[str, Path], tmp_path: Path
) -> None:
    assert run_command(command, files) == 0
    plain = json_lines(files["out"])
    files["candles"].write_text("\n".join(candle_rows()) + "\n", encoding="utf-8-sig")
    assert files["candles"].read_bytes().startswith(b"\xef\xbb\xbf")

    assert run_command(command, files, "--force") == 0

    assert _without_times(json_lines(files["out"])) == _without_times(plain)


def _without_times(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    # Ids are drawn afresh each run; prices, quantities and times are what must agree.
    return [
        {k: v for k, v in line.items() if not k.endswith("_id") and k != "message"}
        for line in lines
    ]


# ---------------------------------------------------------------------------- the output


def test_an_existing_output_is_refused_without_force_and_left_as_it_was(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files["out"].write_text("my earlier results\n", encoding="utf-8")

    assert run_command(command, files) == 2

    assert "out.jsonl: already exists; pass --force to replace it" in capsys.readouterr().err
    assert files["out"].read_text(encoding="utf-8") == "my earlier results\n"


def test_force_replaces_an_existing_output_file(command: str, files: dict[str, Path]) -> None:
    files["out"].write_text("my earlier results\n", encoding="utf-8")

    assert run_command(command, files, "--force") == 0

    assert json_lines(files["out"])[-1]["type"] == "summary"
    assert _partials(files["out"].parent) == []


def test_an_output_that_is_a_folder_is_refused_and_nothing_is_left_in_it(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files["out"].mkdir()

    assert run_command(command, files, "--force") == 2

    assert "out.jsonl: is a folder; name a file inside it" in capsys.readouterr().err
    assert list(files["out"].iterdir()) == []
    assert _partials(files["out"].parent) == []


def test_an_output_that_is_a_symbolic_link_is_never_replaced(
    command: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n", encoding="utf-8")
    files["out"].symlink_to(target)

    assert run_command(command, files, "--force") == 2

    assert "is a symbolic link; it is never replaced" in capsys.readouterr().err
    assert files["out"].is_symlink()
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_an_output_that_is_a_pipe_is_never_replaced(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(files["out"])

    assert run_command(command, files, "--force") == 2

    assert "is not a regular file (a device, pipe or socket)" in capsys.readouterr().err
    assert stat.S_ISFIFO(files["out"].lstat().st_mode)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
def test_an_output_that_is_a_device_is_never_replaced_even_as_root(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # A private /dev/null: as root, the probe's --out /dev/full was replaced by a JSON file.
    os.mknod(files["out"], stat.S_IFCHR | 0o666, os.makedev(1, 3))

    assert run_command(command, files, "--force") == 2

    assert "is not a regular file (a device, pipe or socket)" in capsys.readouterr().err
    assert stat.S_ISCHR(files["out"].lstat().st_mode)


def test_an_output_in_a_folder_that_cannot_be_written_is_refused_before_the_run(
    command: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran = []
    monkeypatch.setattr(Progress, "update", lambda self, done: ran.append(done))
    if os.geteuid() == 0:
        # Root writes anywhere a mode allows nothing; /sys refuses even root.
        files["out"] = Path("/sys/livetrader-out.jsonl")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        files["out"] = locked / "out.jsonl"

    assert run_command(command, files) == 2

    assert f"--out {files['out']}: cannot write in the folder" in capsys.readouterr().err
    assert ran == []  # refused before the first minute ran
    assert not files["out"].exists()


def test_an_output_in_a_missing_folder_is_refused(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files["out"] = files["out"].parent / "no-such-folder" / "out.jsonl"

    assert run_command(command, files) == 2

    assert "the folder" in capsys.readouterr().err
    assert not files["out"].parent.exists()


# ---------------------------------------------------------------------------- Ctrl+C


def test_ctrl_c_stops_with_exit_130_and_leaves_no_output(
    command: str,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files["out"].write_text("my earlier results\n", encoding="utf-8")
    calls = []

    def interrupted(self: Progress, done: int) -> None:
        calls.append(done)
        if len(calls) == 2:  # mid-run, as a trader presses Ctrl+C
            raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "update", interrupted)

    assert run_command(command, files, "--force") == 130

    error = capsys.readouterr().err
    assert f"stopped by Ctrl+C; nothing was written to {files['out']}" in error
    assert "Traceback" not in error
    assert files["out"].read_text(encoding="utf-8") == "my earlier results\n"
    assert _partials(files["out"].parent) == []


# ---------------------------------------------------------------------------- progress


class _Terminal:
    def __init__(self, tty: bool) -> None:
        self.text = ""
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        return None


def test_the_progress_bar_shows_on_a_terminal_and_ends_its_line() -> None:
    terminal = _Terminal(tty=True)
    progress = Progress("replay", 200, "minutes", stream=terminal)  # type: ignore[arg-type]

    progress.update(1)
    progress.update(2)  # within a tenth of a second: not redrawn
    progress.update(200)  # the end is always drawn
    progress.close()

    frames = terminal.text.split("\r")[1:]
    assert len(frames) == 2
    assert frames[0].startswith("replay [")
    assert "1/200 minutes" in frames[0]
    assert "100%" in frames[1]
    assert "200/200 minutes" in frames[1]
    assert terminal.text.endswith("\n")


def test_the_progress_bar_is_silent_in_a_log_file() -> None:
    log = _Terminal(tty=False)
    progress = Progress("backtest", 10, "candles", stream=log)  # type: ignore[arg-type]

    progress.update(5)
    progress.close()

    assert log.text == ""


def test_the_commands_help_names_every_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from livetrader_gui.app.main import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])

    assert exit_.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--strategy", "--candles", "--out", "--capital", "--commission",
                   "--sell-tax", "--slippage", "--force"):  # fmt: skip
        assert option in usage


def test_a_real_ctrl_c_on_a_terminal_stops_a_replay_with_exit_130(tmp_path: Path) -> None:
    """The signal itself, through asyncio's own handler, on a terminal where the bar shows."""
    files = simulation_files(tmp_path)
    minutes = 40_000  # a few seconds of replay: time to see the bar and press Ctrl+C
    closes = {s: [70_000 + 100 * (i % 7) for i in range(minutes)] for s in ("005930", "000660")}
    files["candles"].write_text("\n".join(candle_rows(closes)) + "\n", encoding="utf-8")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "livetrader_gui", "replay", "--strategy", str(files["strategy"]),
         "--candles", str(files["candles"]), "--out", str(files["out"])],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    shown = b""
    try:
        while b"replay [" not in shown:
            ready, _, _ = select.select([controller], [], [], 120)
            assert ready, f"no progress bar: {shown!r}"
            shown += os.read(controller, 4096)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 130
        with contextlib.suppress(OSError):  # the terminal closes with the process
            while select.select([controller], [], [], 1)[0]:
                chunk = os.read(controller, 4096)
                if not chunk:
                    break
                shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    text = shown.decode("utf-8", "replace")
    assert f"stopped by Ctrl+C; nothing was written to {files['out']}" in text
    assert "Traceback" not in text
    assert not files["out"].exists()
    assert _partials(tmp_path) == []


def test_the_output_gets_the_mode_of_a_new_file_or_of_the_file_it_replaces(
    command: str, files: dict[str, Path]
) -> None:
    mask = os.umask(0o022)
    try:
        assert run_command(command, files) == 0
        assert stat.S_IMODE(files["out"].stat().st_mode) == 0o644  # not mkstemp's private 0600
        files["out"].chmod(0o640)

        assert run_command(command, files, "--force") == 0

        assert stat.S_IMODE(files["out"].stat().st_mode) == 0o640
    finally:
        os.umask(mask)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--capital", "0", "argument --capital: '0' must be above 0"),
        ("--capital", "ten", "argument --capital: 'ten' is not a number"),
        ("--commission", "-0.1", "argument --commission: '-0.1' must be a number of 0 or more"),
        ("--slippage", "101", "argument --slippage: '101' must be from 0 to 100 ticks"),
    ],
)
def test_a_bad_option_is_named_and_nothing_runs(
    command: str,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_command(command, files, option, value)

    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not files["out"].exists()
