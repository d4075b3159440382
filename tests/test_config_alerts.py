"""The ``[alerts]`` settings: which alert kinds toast and the turnover a market needs before
it alerts, from the file, the environment, written back, and used by the app."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dantaro_tui.config import load_config, save_config
from dantaro_tui.services.alerts import DEFAULT_TOASTS


def test_defaults_are_the_services(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "none.toml", env={})
    assert set(cfg.alert_toasts) == set(DEFAULT_TOASTS)
    assert cfg.alert_min_turnover == 1e9
    assert not cfg.warnings


def test_alerts_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[alerts]\ntoasts = ["pump", "dump", "connection"]\nmin_turnover = 5e9\n', encoding="utf-8"
    )
    cfg = load_config(path, env={})
    assert cfg.alert_toasts == ["pump", "dump", "connection"]
    assert cfg.alert_min_turnover == 5e9
    assert not cfg.warnings


def test_no_toasts_at_all(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[alerts]\ntoasts = []\n", encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.alert_toasts == []


def test_unknown_kind_and_negative_turnover_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[alerts]\ntoasts = ["pump", "moon"]\nmin_turnover = -1\n', encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.alert_toasts == ["pump"]  # the known kind stays
    assert cfg.alert_min_turnover == 1e9  # the default stands in
    text = "\n".join(cfg.warnings)
    assert "'moon'" in text and "unknown alert kind" in text
    assert "min_turnover" in text and "0 or more" in text
    assert cfg.doubtful  # rewriting would drop something: a .bak is kept first


def test_turnover_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[alerts]\nmin_turnover = "lots"\n', encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.alert_min_turnover == 1e9
    assert any("not a number" in w for w in cfg.warnings)


def test_env_toasts_comma_separated(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[alerts]\ntoasts = ["connection"]\n', encoding="utf-8")
    cfg = load_config(path, env={"DANTARO_ALERT_TOASTS": "pump, volume_spike"})
    assert cfg.alert_toasts == ["pump", "volume_spike"]  # the environment beats the file


def test_alerts_are_saved_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    cfg = load_config(path, env={})
    cfg.alert_toasts = ["volume_spike"]
    cfg.alert_min_turnover = 2.5e9
    save_config(cfg)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["alerts"] == {"toasts": ["volume_spike"], "min_turnover": 2.5e9}
    again = load_config(path, env={})
    assert (again.alert_toasts, again.alert_min_turnover) == (["volume_spike"], 2.5e9)
    assert not again.warnings


def test_the_app_uses_the_settings(tmp_path: Path) -> None:
    from dantaro_tui.ui.app import DantaroApp

    path = tmp_path / "c.toml"
    path.write_text('[alerts]\ntoasts = ["pump"]\nmin_turnover = 3e9\n', encoding="utf-8")
    app = DantaroApp(load_config(path, env={}), mode="demo", persist=False)
    assert app.alert_service.toast_kinds == frozenset({"pump"})
    assert app.alert_service.rules.config.min_turnover_24h == 3e9
