"""Prices on the market's tick, aligned size columns, one compact style, display-width cuts:
``dantaro_tui.ui.format``, the one place the UI formats numbers."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from dantaro_tui.ui.format import (
    average_price,
    column_tick,
    fit,
    format_compact,
    format_price,
    format_size,
    lot_decimals,
    market_price,
    size_decimals,
    upbit_tick,
)


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        (2_500_000, 1000.0),
        (1_500_000, 1000.0),  # 1,000 from 1,000,000 (the table in force since 2025-07-31)
        (700_000, 500.0),
        (280_000, 100.0),  # 100 from 100,000
        (52_000, 50.0),
        (31_000, 10.0),
        (7_000, 5.0),  # 5 from 5,000
        (3_100, 1.0),
        (296, 1.0),  # 1 from 100: "296", not "296.0"
        (55.5, 0.1),
        (3.5, 0.01),
        (0.5, 0.001),
        (0.05, 0.0001),
        (0.0021, 0.00001),
    ],
)
def test_upbit_krw_price_units(price: float, tick: float) -> None:
    assert upbit_tick("KRW-X", price) == tick


def test_a_price_reads_the_same_in_every_pane() -> None:
    # 296 KRW: the chart header said 296.0 and the scanner 296.
    assert market_price("KRW-TRX", 296.0) == "296"
    assert market_price("KRW-BTC", 95_000_000) == "95,000,000"
    assert market_price("KRW-BTT", 0.0021) == "0.00210"
    assert market_price("KRW-USDT", 1_412.5) == "1,412.5"  # stable coins: 0.5 KRW
    assert market_price("BTC-ETH", 0.05) == "0.05000000"
    assert market_price("USDT-BTC", 98_000.0) == "98,000.00"
    assert market_price("BTC-USDT", 98_000.1, "okx") == "98,000.1"


def test_axis_labels_and_averages_sit_on_the_tick() -> None:
    assert format_price(5_330_783.2, upbit_tick("KRW-ETH", 5_330_783), snap=True) == "5,331,000"
    assert average_price("KRW-DOGE", 439.5785) == "439.6"  # VWAP: one decimal finer
    # A quoted price is never moved: only its decimals come from the tick.
    assert format_price(4_500_500, 1000.0) == "4,500,500"


def test_a_column_of_prices_shares_one_tick() -> None:
    tick = column_tick("KRW-X", [99.9, 100.0, 100.1])
    assert {len(format_price(p, tick).split(".")[-1]) for p in (99.9, 100.0)} == {3}
    assert tick == 1.0


def test_a_size_column_has_one_number_of_decimals() -> None:
    # The book showed 0.3034235 over 0.57.
    decimals = size_decimals(0.57)
    assert [format_size(s, decimals) for s in (0.3034235, 0.57)] == ["0.3034", "0.5700"]
    assert size_decimals(95_000) == 0 and size_decimals(12.5) == 2
    assert format_size(123_456_789.0, 2, width=8) == "123.5M"  # too wide: compact


def test_trade_sizes_have_the_decimals_of_their_market() -> None:
    assert lot_decimals(95_000_000, "KRW") == 4
    assert lot_decimals(3_100, "KRW") == 0
    assert lot_decimals(0.05, "BTC") == 3


def test_one_compact_style_for_turnover_and_sizes() -> None:
    # The kimchi Size column mixed 1,400 / 1.6k / 116.0M.
    assert [format_compact(v) for v in (1_400, 1_600, 116_000_000, 117.3e9)] == [
        "1.40K",
        "1.60K",
        "116.0M",
        "117.3B",
    ]
    assert format_compact(950.0) == "950"
    assert format_compact(0.079) == "0.07900"
    assert format_compact(117.3e9, "KRW") == "117.3B KRW"


def test_korean_names_are_cut_at_display_width_with_an_ellipsis() -> None:
    cut = fit("비트코인캐시", 8)  # 12 cells wide
    assert cell_len(cut) == 8 and cut.endswith("…") and cut.startswith("비트코")
    odd = fit("비트코인캐시", 7)  # a double-width character is never split
    assert cell_len(odd) == 7 and odd.endswith("…")
    assert fit("XRP", 6, right=True) == "   XRP"
    assert fit("리플", 6) == "리플  "


def test_kimchi_screen_sizes_and_prices_use_the_same_rules() -> None:
    from dantaro_tui.ui.screens.arbitrage import _average, _price, fmt_qty

    # The Size column mixed 1,400 / 1.6k / 116.0M.
    assert [fmt_qty(v) for v in (1_400, 1_600, 116_000_000, 0.079)] == [
        "1.40K",
        "1.60K",
        "116.0M",
        "0.07900",
    ]
    assert _price("KRW-TRX", 296.0) == "296"
    assert _price("KRW-BTC", 140_012_345.6) == "140,012,346"  # an OKX price in KRW
    assert _average("KRW-DOGE", 439.5785) == "439.6"  # VWAP
