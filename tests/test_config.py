"""Settings files: nothing in one stops the app, and the trader's file is never lost.

Every test works on a file under tmp_path (never the user's real settings)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dantaro_tui.config import Config, ConfigNotSaved, load_config, save_config
from tests.terminal import needs_tmux, terminal

GOOD = 'theme = "dantaro-light"\nlayout = "3x3"\n[charts]\nsymbols = ["KRW-ETH"]\n'

BROKEN = {
    "not utf-8": 'theme = "dantaro-light"\nlayout = "1x1"\n# caf\xe9\n'.encode("latin-1"),
    "toml syntax": b'theme = "dantaro-light"\nlayout = "1x1\n[charts]\nsymbols = [\n',
    "deeply nested": b"layout = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "folder": b"",  # the path is a folder
}


def _write(path: Path, kind: str) -> bytes:
    if kind == "folder":
        path.mkdir()
        return b""
    path.write_bytes(BROKEN[kind])
    return BROKEN[kind]


@pytest.mark.parametrize("kind", list(BROKEN))
def test_an_unreadable_file_is_a_warning_and_is_never_overwritten(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "config.toml"
    before = _write(path, kind)
    cfg = load_config(path, env={})
    assert cfg.theme == "dantaro-dark" and cfg.layout == "2x2"  # the defaults stand in
    assert len(cfg.warnings) == 1 and str(path) in cfg.warnings[0]
    assert "left as it is" in cfg.warnings[0]
    cfg.theme = "dantaro-korea"  # the trader changes something, then quits
    with pytest.raises(ConfigNotSaved, match="was not overwritten") as raised:
        save_config(cfg)
    assert isinstance(raised.value, OSError)  # what the app and run.py already catch
    if kind != "folder":
        assert path.read_bytes() == before
    assert not (tmp_path / "config.toml.bak").exists()


def test_messages_say_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    for kind, words in [
        ("not utf-8", "not UTF-8"),
        ("toml syntax", "not valid TOML"),
        ("deeply nested", "nested too deeply"),
    ]:
        path.write_bytes(BROKEN[kind])
        (warning,) = load_config(path, env={}).warnings
        assert words in warning, warning


def test_an_unknown_exchange_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('exchange = "kraken"\ntheme = "dantaro-light"\n', encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.exchange == "upbit" and cfg.theme == "dantaro-light"
    assert any("kraken" in w and "not supported" in w for w in cfg.warnings)
    env = load_config(tmp_path / "none.toml", env={"DANTARO_EXCHANGE": "kraken"})
    assert env.exchange == "upbit" and "kraken" in env.warnings[0]
    assert load_config(tmp_path / "none.toml", env={"DANTARO_EXCHANGE": "OKX"}).exchange == "okx"


def test_a_file_with_bad_values_is_backed_up_before_it_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = GOOD + 'exchange = "kraken"\nmy_note = "keep me"\n'
    path.write_text(original, encoding="utf-8")
    cfg = load_config(path, env={})
    assert (cfg.theme, cfg.layout) == ("dantaro-light", "3x3")  # the good parts are used
    save_config(cfg)
    assert (tmp_path / "config.toml.bak").read_text(encoding="utf-8") == original
    assert tomllib.loads(path.read_text(encoding="utf-8"))["theme"] == "dantaro-light"
    cfg.layout = "1x1"
    save_config(cfg)  # the file is ours now: no second backup over the first
    assert (tmp_path / "config.toml.bak").read_text(encoding="utf-8") == original


def test_a_file_edited_while_the_app_ran_is_backed_up(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(path, env={})
    edited = GOOD.replace("3x3", "1x2")
    path.write_text(edited, encoding="utf-8")  # the trader edits it by hand meanwhile
    save_config(cfg)
    assert (tmp_path / "config.toml.bak").read_text(encoding="utf-8") == edited


def test_a_clean_file_is_rewritten_without_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    cfg = load_config(path, env={})  # no file yet
    save_config(cfg)
    cfg = load_config(path, env={})
    cfg.theme = "dantaro-korea"
    save_config(cfg)
    assert load_config(path, env={}).theme == "dantaro-korea"
    assert not (tmp_path / "config.toml.bak").exists()


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    cfg = load_config(path, env={})
    assert cfg.theme == "dantaro-light" and not cfg.warnings


def test_a_huge_number_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[scanner]\nthreshold = " + "9" * 400 + "\n", encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.scanner_threshold == Config().scanner_threshold and cfg.warnings


# --------------------------------------------------------------------------- the real app


@needs_tmux
@pytest.mark.parametrize("kind", ["toml syntax", "kraken"])
def test_the_cockpit_starts_on_a_bad_file_and_keeps_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.toml"
    before = BROKEN.get(kind, b'exchange = "kraken"\ntheme = "dantaro-light"\n')
    path.write_bytes(before)
    args = ["--demo", "--seed", "3", "--intensity", "0.2", "--config", str(path)]
    with terminal(args, {}, tmp_path) as term:
        screen = term.wait_for(lambda s: "DEMO" in s and "KRW-BTC" in s and "feeds" in s)
        assert "Traceback" not in screen
        term.wait_for(lambda s: "config.toml" in s)  # the warning is on screen
        term.keys("t")  # a change that would be saved
        term.keys("q")
        assert term.exit_code() == 0
        after = term.screen()
    assert "Traceback" not in after
    if kind == "toml syntax":
        assert path.read_bytes() == before  # not replaced by the defaults
        assert "was not overwritten" in after  # said once more after the app closed
    else:
        assert (tmp_path / "config.toml.bak").read_bytes() == before
        saved = tomllib.loads(path.read_text(encoding="utf-8"))
        assert saved["exchange"] == "upbit"
