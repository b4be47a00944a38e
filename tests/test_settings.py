"""Settings as an operator writes them in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


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
