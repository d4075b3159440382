"""First start in a Korean locale: rising red, falling blue (the ``dantaro-korea`` theme),
said once in a toast; any other locale, or a theme the trader saved, is left alone."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from dantaro_tui.config import load_config
from dantaro_tui.ui.app import DantaroApp
from tests.ui.test_app import (  # noqa: F401  (offline is a fixture)
    SIZE,
    FakeRest,
    offline,
    started,
    until,
)

pytestmark = pytest.mark.usefixtures("offline")
NOTE = "한국식 색상(상승 빨강, 하락 파랑) — t to change"


def locale(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "DANTARO_THEME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def app_for(path: Path, *, persist: bool = False) -> DantaroApp:
    # The real loading path: the file, then os.environ (the monkeypatched locale).
    return DantaroApp(load_config(path), mode="demo", rest_factory=FakeRest, persist=persist)


def toasts(app: DantaroApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_korean_first_start_is_red_up_blue_down_and_said_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = Path(os.environ["DANTARO_CONFIG"])  # the offline fixture's private file
    locale(monkeypatch, LANG="ko_KR.UTF-8")
    assert not path.exists()  # no settings file yet: the first start
    app = app_for(path, persist=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "dantaro-korea"
        assert toasts(app).count(NOTE) == 1
        # The choice is written down, so the next start does not say it again.
        await until(path.exists, pilot, timeout=5)
    assert tomllib.loads(path.read_text(encoding="utf-8"))["theme"] == "dantaro-korea"
    again = app_for(path)
    async with again.run_test(size=SIZE) as pilot:
        await started(again, pilot)
        assert again.theme == "dantaro-korea"
        assert NOTE not in toasts(again)


async def test_other_locales_keep_the_default_theme(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(os.environ["DANTARO_CONFIG"])  # the offline fixture's private file
    locale(monkeypatch, LANG="en_US.UTF-8")
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "dantaro-dark"
        assert NOTE not in toasts(app)


async def test_a_saved_theme_is_never_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(os.environ["DANTARO_CONFIG"])  # the offline fixture's private file
    locale(monkeypatch, LANG="ko_KR.UTF-8")
    path.write_text('theme = "dantaro-light"\n', encoding="utf-8")
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "dantaro-light"
        assert NOTE not in toasts(app)


@pytest.mark.parametrize(
    ("env", "korean"),
    [
        ({"LC_ALL": "ko_KR.UTF-8"}, True),
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, True),
        ({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}, True),  # C names no language
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, False),  # LC_ALL wins
        ({}, False),
    ],
)
def test_which_locales_are_korean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], korean: bool
) -> None:
    locale(monkeypatch, **env)
    cfg = load_config(tmp_path / "first.toml")
    assert (cfg.theme == "dantaro-korea", cfg.korean_default) == (korean, korean)


def test_theme_flag_and_env_beat_the_korean_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    locale(monkeypatch, LANG="ko_KR.UTF-8", DANTARO_THEME="dantaro-contrast")
    cfg = load_config(tmp_path / "first.toml")
    assert (cfg.theme, cfg.korean_default) == ("dantaro-contrast", False)
    monkeypatch.delenv("DANTARO_THEME")
    cfg = load_config(tmp_path / "first.toml", overrides={"theme": "dantaro-light"})
    assert (cfg.theme, cfg.korean_default) == ("dantaro-light", False)
    assert os.environ["LANG"] == "ko_KR.UTF-8"
