"""Settings come from flags, then the environment, then defaults; bad values say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrader_gui.app.settings import SettingsError, parse_settings


def test_defaults_put_the_database_in_the_data_folder(tmp_path: Path) -> None:
    settings = parse_settings([], {"LIVETRADER_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.database_url == str(tmp_path / "livetrader.db")
    assert settings.log_file == tmp_path / "logs" / "livetrader.log"
    assert (tmp_path / "logs").is_dir()
    assert (settings.sim_speed, settings.sim_seed, settings.smoke_test) == (1.0, 7, False)


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    env = {
        "LIVETRADER_DATA_DIR": str(tmp_path / "env"),
        "LIVETRADER_DB": "sqlite:///env.db",
        "LIVETRADER_SIM_SPEED": "5",
    }
    settings = parse_settings(
        ["--data-dir", str(tmp_path / "flag"), "--db", "sqlite:///flag.db", "--sim-speed", "60"],
        env,
    )
    assert settings.data_dir == tmp_path / "flag"
    assert settings.database_url == "sqlite:///flag.db"
    assert settings.sim_speed == 60


def test_the_environment_sets_the_database_and_the_simulator(tmp_path: Path) -> None:
    env = {
        "LIVETRADER_DATA_DIR": str(tmp_path),
        "LIVETRADER_DB": "/somewhere/else.db",
        "LIVETRADER_SIM_SPEED": "2.5",
        "LIVETRADER_SIM_SEED": "11",
    }
    settings = parse_settings([], env)
    assert (settings.database_url, settings.sim_speed, settings.sim_seed) == (
        "/somewhere/else.db",
        2.5,
        11,
    )


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--sim-speed", "fast"], {}, "--sim-speed must be a number above 0, got 'fast'"),
        (["--sim-speed", "0"], {}, "--sim-speed must be above 0 and at most 10000, got '0'"),
        (["--sim-speed", "nan"], {}, "--sim-speed must be above 0 and at most 10000"),
        (
            [],
            {"LIVETRADER_SIM_SPEED": "-1"},
            "the environment variable LIVETRADER_SIM_SPEED must be above 0",
        ),
        (["--sim-seed", "1.5"], {}, "--sim-seed must be a whole number, got '1.5'"),
        (["--sim-seed", "-3"], {}, "--sim-seed must not be negative"),
        (["--screenshot", "x.png"], {}, "--screenshot only works together with --smoke-test"),
        (
            [],
            {"LIVETRADER_CRASH_AT": "sent:0"},
            "the environment variable LIVETRADER_CRASH_AT: crash point sent: the count must be "
            "1 or more, got 0",
        ),
    ],
)
def test_bad_values_name_the_setting_and_the_value(
    tmp_path: Path, argv: list[str], env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings([*argv, "--data-dir", str(tmp_path)], env)
    assert message in str(raised.value)


def test_a_data_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SettingsError, match="cannot create the data folder"):
        parse_settings(["--data-dir", str(blocker / "sub")], {})


def test_a_smoke_test_uses_a_fresh_folder_and_ignores_the_traders_environment(
    tmp_path: Path,
) -> None:
    env = {"LIVETRADER_DATA_DIR": str(tmp_path), "LIVETRADER_DB": str(tmp_path / "real.db")}
    settings = parse_settings(["--smoke-test", "--screenshot", str(tmp_path / "s.png")], env)
    assert settings.smoke_test
    assert settings.data_dir != tmp_path
    assert settings.data_dir.name.startswith("livetrader-smoke-")
    assert settings.database_url == str(settings.data_dir / "livetrader.db")
    assert settings.screenshot == tmp_path / "s.png"


def test_unattended_restarts_and_the_crash_campaigns_kill_point_are_asked_for_not_assumed(
    tmp_path: Path,
) -> None:
    plain = parse_settings(["--data-dir", str(tmp_path)], {})
    assert (plain.resume_when_clean, plain.crash_at) == (False, None)

    asked = parse_settings(
        ["--data-dir", str(tmp_path), "--resume-when-clean"], {"LIVETRADER_CRASH_AT": "sent:2"}
    )
    assert (asked.resume_when_clean, asked.crash_at) == (True, ("sent", 2))
