"""Settings as an operator writes them in the environment."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import cli
from bot.services import services
from bot.settings import Settings, SettingsError
from storage.db import Database


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("@123abcde", "@123abcde"),
        ("123abcde", "@123abcde"),
        (" @madoguchi ", "@madoguchi"),
        ("", ""),
    ],
)
def test_the_accounts_line_id_is_kept_with_its_at_sign(
    written: str, kept: str, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LINE_BOT_BASIC_ID": written}, dotenv=tmp_path / "none.env")
    assert settings.basic_id == kept


def test_without_a_line_id_nothing_is_assumed(tmp_path: Path) -> None:
    assert Settings.from_env({}, dotenv=tmp_path / "none.env").basic_id == ""


# ---- LINE credentials: both, or (under `serve` only) none for the simulator (issue #17, 2) ----

SECRET_ONLY = {"LINE_CHANNEL_SECRET": "the-secret"}
TOKEN_ONLY = {"LINE_CHANNEL_ACCESS_TOKEN": "the-token"}
BOTH = {**SECRET_ONLY, **TOKEN_ONLY}


@pytest.mark.parametrize("environ", [{}, SECRET_ONLY, TOKEN_ONLY, BOTH])
def test_the_environment_alone_never_means_simulator_mode(
    environ: dict[str, str], tmp_path: Path
) -> None:
    """Once, only the secret set meant the simulator: open clock route, demo admin, cookies
    without Secure, and signatures checked against a public constant under `serve`."""
    settings = Settings.from_env(environ, dotenv=tmp_path / "none.env")
    assert not settings.simulator_mode
    assert not settings.clock_route_enabled


@pytest.mark.parametrize(
    ("environ", "missing"),
    [(SECRET_ONLY, "LINE_CHANNEL_ACCESS_TOKEN"), (TOKEN_ONLY, "LINE_CHANNEL_SECRET")],
)
def test_one_credential_without_the_other_names_the_missing_one(
    environ: dict[str, str], missing: str, tmp_path: Path
) -> None:
    settings = Settings.from_env(environ, dotenv=tmp_path / "none.env")
    for check in (settings.require_line_credentials, lambda: settings.wants_simulator(False)):
        with pytest.raises(SettingsError, match=f"^{missing} is not set, but"):
            check()
    assert settings.wants_simulator(True), "--simulator is asked for explicitly"


def test_serve_runs_the_simulator_without_any_credentials_or_when_asked(tmp_path: Path) -> None:
    none = Settings.from_env({}, dotenv=tmp_path / "none.env")
    both = Settings.from_env(BOTH, dotenv=tmp_path / "none.env")
    assert none.wants_simulator(False) and none.wants_simulator(True)
    assert not both.wants_simulator(False) and both.wants_simulator(True)
    both.require_line_credentials()
    with pytest.raises(SettingsError, match="LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN"):
        none.require_line_credentials()


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, sqlite_db: Database, tmp_path: Path
) -> Callable[..., None]:
    """Set the process environment as an operator would; other LINE variables unset."""
    # Away from any developer's .env in the working directory.
    monkeypatch.chdir(tmp_path)

    def set_to(variables: dict[str, str]) -> None:
        for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
        monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "settings-test-key")
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_to


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        (SECRET_ONLY, "LINE_CHANNEL_ACCESS_TOKEN is not set, but LINE_CHANNEL_SECRET is"),
        (TOKEN_ONLY, "LINE_CHANNEL_SECRET is not set, but LINE_CHANNEL_ACCESS_TOKEN is"),
        ({}, "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set"),
    ],
)
def test_the_wsgi_app_refuses_to_start_without_both_credentials(
    environment: Callable[..., None], environ: dict[str, str], reason: str
) -> None:
    environment(environ)
    sys.modules.pop("bot.wsgi", None)
    with pytest.raises(SettingsError, match=reason):
        importlib.import_module("bot.wsgi")


def test_the_wsgi_app_starts_with_both_and_its_cookies_are_secure(
    environment: Callable[..., None],
) -> None:
    environment(BOTH)
    sys.modules.pop("bot.wsgi", None)
    app = importlib.import_module("bot.wsgi").app
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert "move_clock" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    finally:
        services(app).db.dispose()
        sys.modules.pop("bot.wsgi", None)


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["sender"]])
@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        (SECRET_ONLY, "LINE_CHANNEL_ACCESS_TOKEN is not set, but LINE_CHANNEL_SECRET is"),
        (TOKEN_ONLY, "LINE_CHANNEL_SECRET is not set, but LINE_CHANNEL_ACCESS_TOKEN is"),
    ],
)
def test_serve_worker_and_sender_stop_at_one_credential_and_say_which_is_missing(
    environment: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    environ: dict[str, str],
    reason: str,
) -> None:
    environment(environ)

    def started_anyway(*_: object) -> None:
        raise AssertionError("started with one credential")

    # Should the check ever go, the test fails here rather than serving forever.
    monkeypatch.setattr(cli.migrate, "upgrade", started_anyway)
    monkeypatch.setattr(cli, "Database", started_anyway)
    result = CliRunner().invoke(cli.main, command)
    assert result.exit_code == 1, result.output
    assert reason in result.output
    assert "Traceback" not in result.output
