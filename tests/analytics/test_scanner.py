"""ScannerModel: rows, change detection, sorted views, highlights, the volume-spike score."""

from __future__ import annotations

import pytest

from dantaro_tui.analytics.scanner import (
    SORT_KEYS,
    ScannerModel,
    highlight,
)
from tests.builders import DAY_VALUE, T0, market, ticker

MARKETS = [
    market("KRW-BTC", "비트코인", "Bitcoin"),
    market("KRW-ETH", "이더리움", "Ethereum"),
    market("KRW-XRP", "리플", "XRP"),
    market("BTC-ETH", "이더리움", "Ethereum"),
    market("USDT-BTC", "비트코인", "Bitcoin"),
]


@pytest.fixture
def model() -> ScannerModel:
    m = ScannerModel(MARKETS)
    m.apply(ticker("KRW-BTC", 95_000_000, 0.012, 3e11))
    m.apply(ticker("KRW-ETH", 4_500_000, -0.031, 1e11))
    m.apply(ticker("KRW-XRP", 812, 0.074, 2e11))
    return m


def test_apply_reports_visible_changes_only(model: ScannerModel) -> None:
    row = model.get("KRW-BTC")
    assert row is not None
    version = row.version
    assert not model.apply(ticker("KRW-BTC", 95_000_000, 0.012, 3e11))
    assert row.version == version
    assert model.apply(ticker("KRW-BTC", 95_001_000, 0.012, 3e11))
    assert row.version == version + 1
    assert row.price == 95_001_000


def test_names_come_from_the_market_list(model: ScannerModel) -> None:
    row = model.get("KRW-XRP")
    assert row is not None
    assert (row.korean, row.english, row.quote, row.base) == ("리플", "XRP", "KRW", "XRP")


def test_unknown_market_gets_a_row(model: ScannerModel) -> None:
    assert model.apply(ticker("KRW-NEW", 1.0))
    row = model.get("KRW-NEW")
    assert row is not None and row.quote == "KRW" and row.korean == ""


def test_set_markets_renames_without_losing_data(model: ScannerModel) -> None:
    model.set_markets([market("KRW-XRP", "엑스알피", "XRP Ledger")])
    row = model.get("KRW-XRP")
    assert row is not None
    assert row.korean == "엑스알피" and row.price == 812


def test_quote_filter(model: ScannerModel) -> None:
    assert model.markets("KRW") == ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
    assert model.markets("BTC") == ["BTC-ETH"]
    assert model.quotes() == ["KRW", "BTC", "USDT"]
    assert set(model.view("value", True, "USDT")) == {"USDT-BTC"}
    assert len(model.view("value", True, None)) == 5


@pytest.mark.parametrize(
    ("key", "descending", "expected"),
    [
        ("value", True, ["KRW-BTC", "KRW-XRP", "KRW-ETH"]),
        ("value", False, ["KRW-ETH", "KRW-XRP", "KRW-BTC"]),
        ("change", True, ["KRW-XRP", "KRW-BTC", "KRW-ETH"]),
        ("price", False, ["KRW-XRP", "KRW-ETH", "KRW-BTC"]),
        ("market", False, ["KRW-BTC", "KRW-ETH", "KRW-XRP"]),
        ("korean", False, ["리플", "비트코인", "이더리움"]),
        ("english", False, ["Bitcoin", "Ethereum", "XRP"]),
    ],
)
def test_sorted_views(model: ScannerModel, key: str, descending: bool, expected: list[str]) -> None:
    order = model.view(key, descending, "KRW")  # type: ignore[arg-type]
    if key in ("korean", "english"):
        names = [getattr(model.get(m), key) for m in order]
        assert names == expected
    else:
        assert order == expected


def test_every_sort_key_works_and_rows_without_data_come_last() -> None:
    m = ScannerModel(MARKETS)
    m.apply(ticker("KRW-ETH", 10.0, 0.01, 5.0))
    for key in SORT_KEYS:
        for descending in (True, False):
            order = m.view(key, descending, "KRW")
            assert order[0] == "KRW-ETH"
            assert order[1:] == ["KRW-BTC", "KRW-XRP"]


def test_unknown_sort_key_is_an_error(model: ScannerModel) -> None:
    with pytest.raises(ValueError, match="unknown sort column"):
        model.view("volume", True, "KRW")  # type: ignore[arg-type]


def test_threshold_highlight(model: ScannerModel) -> None:
    assert model.highlight("KRW-XRP") == "up"  # +7.4 % >= 5 %
    assert model.highlight("KRW-BTC") is None
    model.apply(ticker("KRW-ETH", 4_000_000, -0.05))
    assert model.highlight("KRW-ETH") == "down"  # exactly -5 % counts
    row = model.get("KRW-BTC")
    assert row is not None
    assert highlight(row, 0.01) == "up"
    assert highlight(row, 0.0) is None  # 0 = highlighting off


# -- the volume-spike score --------------------------------------------------------------
def trade_steadily(
    m: ScannerModel, symbol: str, start: int, seconds: int, per_second: float, acc: float
) -> float:
    """One ticker a second adding ``per_second`` of turnover; returns the final 24 h total."""
    for s in range(seconds):
        acc += per_second
        m.apply(ticker(symbol, 812, 0.0, acc, start + s * 1000))
    return acc


def test_spike_is_against_the_markets_own_minutes_not_the_24h_pace() -> None:
    # BTC trades at 3x its 24 h average pace all day (3,000/s vs DAY_VALUE's 1,000/s):
    # that is its normal, not a spike. The old score read 3.0x here, all day.
    m = ScannerModel([market("KRW-BTC")])
    acc = trade_steadily(m, "KRW-BTC", T0, 300, 3_000.0, DAY_VALUE)
    row = m.get("KRW-BTC")
    assert row is not None
    assert row.spike == pytest.approx(1.0, abs=0.05)
    # Then a minute at 5x its own pace: 5.0x.
    trade_steadily(m, "KRW-BTC", T0 + 300_000, 60, 15_000.0, acc)
    assert row.spike == pytest.approx(5.0, rel=0.1)


def test_spike_shows_nothing_while_warming_up_and_decays_when_quiet() -> None:
    m = ScannerModel([market("KRW-XRP")])
    acc = trade_steadily(m, "KRW-XRP", T0, 90, 10_000.0, DAY_VALUE)
    row = m.get("KRW-XRP")
    assert row is not None
    assert row.spike == 0.0  # 90 s of history: no baseline yet, the column shows "-"
    trade_steadily(m, "KRW-XRP", T0 + 90_000, 200, 1_000.0, acc)
    assert row.spike > 0.0
    changed = m.refresh_spikes(T0 + 290_000 + 61_000)  # a minute without a trade
    assert changed == ["KRW-XRP"] and row.spike == 0.0


def test_spike_fn_makes_the_column_the_services_score() -> None:
    m = ScannerModel([market("KRW-XRP")], spike_fn=lambda market, now: 7.25)
    m.apply(ticker("KRW-XRP", 812, 0.0, DAY_VALUE, T0))
    row = m.get("KRW-XRP")
    assert row is not None and row.spike == 7.2  # rounded as shown (7.2x)
