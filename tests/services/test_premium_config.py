"""``[premium]`` in the settings file: a fixed bank rate or a URL, fees, a transfer cost;
every bad value is one warning sentence and the default stands in; the table is kept when
the app rewrites the file."""

from __future__ import annotations

from pathlib import Path

from dantaro_tui.analytics.premium_venues import TAKER_FEE_PCT
from dantaro_tui.config import load_config, save_config


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_section_means_no_bank_rate_and_standard_fees(tmp_path: Path) -> None:
    cfg = load_config(settings_file(tmp_path, 'theme = "dantaro-dark"\n'), env={})
    assert cfg.warnings == []
    assert cfg.premium.bank_rate is None and cfg.premium.bank_rate_url == ""
    assert cfg.premium.fees == TAKER_FEE_PCT and cfg.premium.transfer_pct == 0.0
    assert not cfg.premium.bank().configured


def test_a_fixed_rate_fees_and_a_transfer_cost(tmp_path: Path) -> None:
    path = settings_file(
        tmp_path,
        "[premium]\nbank_rate = 1380.5\nfee_bithumb = 0.25\ntransfer_pct = 0.1\n",
    )
    cfg = load_config(path, env={})
    assert cfg.warnings == []
    assert cfg.premium.bank_rate == 1380.5
    fees = cfg.premium.fees
    assert fees["bithumb"] == 0.25 and fees["upbit"] == TAKER_FEE_PCT["upbit"]
    assert cfg.premium.transfer_pct == 0.1
    reading = cfg.premium.bank().reading()
    assert reading is not None and reading.rate == 1380.5


def test_a_url_with_its_field_and_interval(tmp_path: Path) -> None:
    path = settings_file(
        tmp_path,
        '[premium]\nbank_rate = "https://fx.example.org/usd.json"\n'
        'bank_rate_field = "rates.KRW"\nbank_rate_every = "10m"\n',
    )
    cfg = load_config(path, env={})
    assert cfg.warnings == []
    p = cfg.premium
    assert (p.bank_rate, p.bank_rate_url) == (None, "https://fx.example.org/usd.json")
    assert (p.bank_rate_field, p.bank_rate_every) == ("rates.KRW", 600.0)
    bank = p.bank()
    assert bank.configured and bank.label == "fx.example.org"


def test_bad_values_are_warnings_and_the_defaults_stand_in(tmp_path: Path) -> None:
    path = settings_file(
        tmp_path,
        "[premium]\n"
        "bank_rate = 13.805\n"  # KRW per 100 JPY, or a typo
        'bank_rate_every = "1s"\n'
        "fee_upbit = -0.05\n"
        'transfer_pct = "lots"\n'
        "fee_kraken = 0.2\n",
    )
    cfg = load_config(path, env={})
    assert cfg.premium.bank_rate is None
    assert cfg.premium.fees == TAKER_FEE_PCT and cfg.premium.transfer_pct == 0.0
    assert len(cfg.warnings) == 5
    for warning in cfg.warnings:
        assert warning.startswith("config.toml: premium") and "\n" not in warning
    text = " ".join(cfg.warnings)
    assert "not a USD/KRW rate" in text and "too often" in text and "between 0" in text
    assert "'fee_kraken'" in text
    not_a_table = load_config(settings_file(tmp_path, "premium = 1380\n"), env={})
    assert any("premium should be a table" in w for w in not_a_table.warnings)


def test_the_section_is_kept_when_the_app_rewrites_the_file(tmp_path: Path) -> None:
    path = settings_file(tmp_path, "[premium]\nbank_rate = 1380.5\nfee_okx = 0.08\n")
    cfg = load_config(path, env={})
    cfg.theme = "dantaro-light"  # something the app changes and saves
    save_config(cfg)
    again = load_config(path, env={})
    assert again.warnings == [] and again.theme == "dantaro-light"
    assert again.premium.bank_rate == 1380.5 and again.premium.fees["okx"] == 0.08
