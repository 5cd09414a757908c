"""Settings: built once from the command line and the environment, then passed down."""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from livetrader_gui import __version__
from livetrader_gui.application import crash_points

ENV_DATA_DIR = "LIVETRADER_DATA_DIR"
ENV_DATABASE = "LIVETRADER_DB"
ENV_SIM_SPEED = "LIVETRADER_SIM_SPEED"
ENV_SIM_SEED = "LIVETRADER_SIM_SEED"
# The crash campaign's kill point (``<point>:<n>``, see ``crash_points``): never a trader's.
ENV_CRASH_AT = "LIVETRADER_CRASH_AT"
DATABASE_FILE = "livetrader.db"


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the setting and the value."""


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Everything the app is configured with."""

    data_dir: Path
    database_url: str
    log_file: Path
    sim_seed: int
    sim_speed: float
    smoke_test: bool = False
    screenshot: Path | None = None
    smoke_seconds: float = 2.0
    # After a restart, resume the sessions the restart paused when reconciling them with their
    # brokers found no difference (unattended runs); otherwise they wait for the trader.
    resume_when_clean: bool = False
    # The kill point the crash campaign armed (point, n-th time), or None.
    crash_at: tuple[str, int] | None = None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrader-gui",
        description="Run rule-based trading strategies live, behind a go-live gate.",
    )
    parser.add_argument("--version", action="version", version=f"LiveTrader {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"folder of the database and logs (default: your user data folder; {ENV_DATA_DIR})",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"database URL or SQLite file path (default: DIR/{DATABASE_FILE}; env {ENV_DATABASE})",
    )
    parser.add_argument(
        "--sim-speed",
        metavar="X",
        help=f"how fast the simulated market runs, 1 = real time (default 1; env {ENV_SIM_SPEED})",
    )
    parser.add_argument(
        "--sim-seed",
        metavar="N",
        help=f"seed of the simulated market (default 7; env {ENV_SIM_SEED})",
    )
    parser.add_argument(
        "--resume-when-clean",
        action="store_true",
        help="after a restart, resume the sessions the restart paused if reconciling them "
        "with their brokers finds no difference (unattended runs; by default they wait for you)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start offscreen on a fresh temporary data folder, run ~2 s, and exit",
    )
    parser.add_argument(
        "--screenshot", metavar="PATH", help="with --smoke-test: save the window as PNG"
    )
    return parser


def _speed(raw: str, source: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{source} must be a number above 0, got {raw!r}") from None
    if not math.isfinite(value) or not 0 < value <= 10_000:
        raise SettingsError(f"{source} must be above 0 and at most 10000, got {raw!r}")
    return value


def _seed(raw: str, source: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{source} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{source} must not be negative, got {raw!r}")
    return value


def _pick(
    flag: str | None, flag_name: str, env: Mapping[str, str], env_name: str
) -> tuple[str, str] | None:
    if flag is not None:
        return flag, flag_name
    if env.get(env_name):
        return env[env_name], f"the environment variable {env_name}"
    return None


def parse_settings(argv: Sequence[str], env: Mapping[str, str]) -> AppSettings:
    """Build settings from *argv* (without the program name) and *env*.

    Bad flags exit through argparse with its usage message; bad values raise ``SettingsError``.
    """
    args = _parser().parse_args(list(argv))
    if args.screenshot and not args.smoke_test:
        raise SettingsError("--screenshot only works together with --smoke-test")
    if args.smoke_test:
        # A smoke test must never touch the trader's own data: a fresh folder unless told.
        data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="livetrader-smoke-"))
        database = args.db
    else:
        chosen_dir = _pick(args.data_dir, "--data-dir", env, ENV_DATA_DIR)
        data_dir = (
            Path(chosen_dir[0])
            if chosen_dir
            else Path(platformdirs.user_data_dir("LiveTrader", appauthor=False))
        )
        chosen_db = _pick(args.db, "--db", env, ENV_DATABASE)
        database = chosen_db[0] if chosen_db else None
    data_dir = data_dir.expanduser().resolve()
    try:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"cannot create the data folder {data_dir}: {error.strerror}") from None
    speed = _pick(args.sim_speed, "--sim-speed", env, ENV_SIM_SPEED)
    seed = _pick(args.sim_seed, "--sim-seed", env, ENV_SIM_SEED)
    crash_at = None
    if env.get(ENV_CRASH_AT):
        try:
            crash_at = crash_points.parse(env[ENV_CRASH_AT])
        except crash_points.CrashPointError as error:
            raise SettingsError(f"the environment variable {ENV_CRASH_AT}: {error}") from None
    return AppSettings(
        data_dir=data_dir,
        database_url=database or str(data_dir / DATABASE_FILE),
        log_file=data_dir / "logs" / "livetrader.log",
        sim_seed=_seed(*seed) if seed else 7,
        sim_speed=_speed(*speed) if speed else 1.0,
        smoke_test=args.smoke_test,
        screenshot=Path(args.screenshot).expanduser().resolve() if args.screenshot else None,
        resume_when_clean=args.resume_when_clean,
        crash_at=crash_at,
    )
