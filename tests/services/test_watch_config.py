"""The ``[notify]`` and ``[[watch]]`` settings: read from the file, bad entries said in one
sentence each (the rest stands), and written back as they were when the app saves."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dantaro_tui.config import load_config, save_config
from dantaro_tui.services.watch_config import NotifySettings, default_rules, redact

GOOD = """
[notify]
language = "ko"
urls = ["json://127.0.0.1:8080/hook", "tgram://123456789:AAbbCCddEEff/12345"]
cooldown = "10m"
max_per_hour = 6
cockpit = true

[[watch]]
kind = "price"
market = "krw-btc"
above = 150000000
below = 90000000

[[watch]]
name = "alts moving"
kind = "move"
markets = ["KRW-ETH", "KRW-XRP"]
percent = 3
window = "5m"
urls = ["ntfy://my-topic"]
cooldown = 60

[[watch]]
kind = "premium"
above = 5.0

[[watch]]
kind = "feed"
after = "45s"
"""


def test_rules_and_destinations_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(path, env={})
    assert not cfg.warnings
    assert cfg.notify.language == "ko" and cfg.notify.cockpit
    assert cfg.notify.cooldown_s == 600.0 and cfg.notify.max_per_hour == 6
    assert len(cfg.notify.urls) == 2
    price, move, premium, feed = cfg.watch_rules
    assert price.kind == "price" and price.markets == ("KRW-BTC",)  # codes as exchanges write
    assert (price.above, price.below) == (150e6, 90e6)
    assert move.name == "alts moving" and move.window_s == 300.0 and move.percent == 3.0
    assert move.urls == ("ntfy://my-topic",) and move.cooldown_s == 60.0
    assert premium.above == 5.0 and premium.coin == "BTC"
    assert feed.after_s == 45.0
    assert len({r.name for r in cfg.watch_rules}) == 4  # each rule has a name to say


def test_bad_entries_are_one_sentence_each_and_the_rest_stands(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
[notify]
language = "fr"
urls = ["json://127.0.0.1:8080/hook", "carrier-pigeon://coop"]
max_per_hour = -3

[[watch]]
kind = "price"
market = "KRW-BTC"

[[watch]]
kind = "moon"

[[watch]]
kind = "move"
market = "KRW-ETH"
percent = 2
window = "soon"

[[watch]]
kind = "volume_spike"
colour = "red"
""",
        encoding="utf-8",
    )
    cfg = load_config(path, env={})
    text = "\n".join(cfg.warnings)
    assert "'fr'" in text and "'carrier-pigeon'" in text and "max_per_hour" in text
    assert "needs a level" in text  # the price rule without above/below
    assert "'moon'" in text and "'soon'" in text and "'colour'" in text
    assert cfg.notify.urls == ("json://127.0.0.1:8080/hook",)  # the good URL stays
    assert cfg.notify.language is None and cfg.notify.max_per_hour == NotifySettings().max_per_hour
    assert [r.kind for r in cfg.watch_rules] == ["volume_spike"]  # the one good rule
    assert all(w.startswith("c.toml: ") for w in cfg.warnings)  # where the problem is
    assert cfg.doubtful  # rewriting would drop something: a .bak is kept first


def test_the_app_writing_its_settings_keeps_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(path, env={})
    cfg.layout = "1x1"  # something the cockpit changes and saves
    save_config(cfg)
    again = load_config(path, env={})
    assert again.layout == "1x1"
    assert again.watch_rules == cfg.watch_rules and again.notify == cfg.notify
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert len(doc["watch"]) == 4 and doc["notify"]["cooldown"] == "10m"  # as written


def test_urls_from_the_environment_keep_tokens_out_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[notify]\nlanguage = "en"\n', encoding="utf-8")
    env = {"DANTARO_NOTIFY_URLS": "ntfy://one json://127.0.0.1:9000/x"}
    cfg = load_config(path, env=env)
    assert cfg.notify.urls == ("ntfy://one", "json://127.0.0.1:9000/x")
    save_config(cfg)
    assert "ntfy://one" not in path.read_text(encoding="utf-8")


def test_a_shown_url_hides_its_secret() -> None:
    shown = redact("tgram://123456789:AAbbCCddEEffGGhh/12345")
    assert "AAbbCCddEEffGGhh" not in shown and shown.startswith("tgram://")


def test_no_rules_means_the_defaults() -> None:
    kinds = {r.kind for r in default_rules()}
    assert kinds == {"volume_spike", "pump", "dump", "feed"}
