"""Kimchi premium, net spread after fees, sizes, VWAP/deviation and crossing alerts,
on numbers checked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dantaro_tui.analytics.arbitrage import (
    ANALYSIS_COLUMNS,
    ArbAlertConfig,
    ArbAlertEngine,
    ArbRow,
    CrossVenueWindow,
    Fees,
    Top,
    coins_on_both,
    compute_row,
    cross_venue_vwap,
    markets_for,
    net_spread,
    premium,
    premium_stats,
    reference_price,
    sort_rows,
    venue_vwap,
)

RATE = 1_400.0  # KRW per USDT
# Upbit KRW-BTC: bid 144,900,000 x 0.5, ask 145,000,000 x 0.2, last 144,950,000
UPBIT_BTC = Top(144_950_000.0, 144_900_000.0, 145_000_000.0, 0.5, 0.2)
# OKX BTC-USDT: bid 99,990 x 1.0, ask 100,000 x 0.3, last 99,995
OKX_BTC = Top(99_995.0, 99_990.0, 100_000.0, 1.0, 0.3)


# ---------------------------------------------------------------------------- premium


def test_premium_formula() -> None:
    # 145,000,000 / (100,000 * 1,400) - 1 = 145/140 - 1 = 3.5714...%
    assert premium(145_000_000, 100_000, 1_400) == pytest.approx(5 / 140)
    assert premium(140_000_000, 100_000, 1_400) == pytest.approx(0.0)
    assert premium(133_000_000, 100_000, 1_400) == pytest.approx(-0.05)  # reverse premium


@pytest.mark.parametrize(
    "args",
    [(0, 100_000, 1_400), (1e8, 0, 1_400), (1e8, 1e5, 0), (1e8, -1, 1_400), (math.nan, 1, 1)],
)
def test_premium_needs_every_price(args: tuple[float, float, float]) -> None:
    assert premium(*args) is None


def test_reference_price_last_or_mid() -> None:
    q = Top(101.0, 99.0, 100.0)
    assert reference_price(q, "last") == 101.0
    assert reference_price(q, "mid") == 99.5
    assert reference_price(Top(0.0, 99.0, 100.0), "last") == 99.5  # no trade yet: the mid
    assert reference_price(Top(7.0, 100.0, 99.0), "mid") == 7.0  # crossed book: not a mid
    assert reference_price(None) == 0.0


# ---------------------------------------------------------------------------- net spread


def test_net_spread_after_fees() -> None:
    # Buy at 100 paying 0.1 % = 100.1; sell at 101 paying 0.05 % = 100.9495.
    o = net_spread("okx", 100.0, 3.0, 0.1, "upbit", 101.0, 2.0, 0.05)
    assert o is not None
    assert o.cost == pytest.approx(100.1)
    assert o.proceeds == pytest.approx(100.9495)
    assert o.net_krw == pytest.approx(0.8495)
    assert o.net_pct == pytest.approx(0.8495 / 100.1 * 100)
    assert o.size == 2.0  # min(ask size on the buy venue, bid size on the sell venue)
    assert o.profit_krw == pytest.approx(2 * 0.8495)
    assert o.label == "okx→upbit"


def test_fees_can_erase_a_gross_spread() -> None:
    # 0.1 % gross spread, 0.15 % of fees: a loss.
    o = net_spread("okx", 100.0, 1.0, 0.1, "upbit", 100.1, 1.0, 0.05)
    assert o is not None and o.net_pct < 0 < o.sell_price - o.buy_price
    free = net_spread("okx", 100.0, 1.0, 0.0, "upbit", 100.1, 1.0, 0.0)
    assert free is not None and free.net_pct == pytest.approx(0.1)


def test_net_spread_unknowns() -> None:
    assert net_spread("a", 0.0, 1.0, 0.1, "b", 100.0, 1.0, 0.1) is None
    assert net_spread("a", 100.0, 1.0, 0.1, "b", 0.0, 1.0, 0.1) is None
    o = net_spread("a", 100.0, 0.0, 0.1, "b", 101.0, 5.0, 0.1)  # a size unknown
    assert o is not None and o.size == 0.0 and o.profit_krw == 0.0


def test_compute_row_both_directions() -> None:
    row = compute_row("btc", UPBIT_BTC, OKX_BTC, RATE, Fees(upbit_pct=0.05, okx_pct=0.1))
    assert row.coin == "BTC"
    assert row.upbit_krw == 144_950_000.0 and row.okx_usdt == 99_995.0
    assert row.okx_krw == pytest.approx(99_995.0 * 1_400)  # 139,993,000
    assert row.premium_pct == pytest.approx((144_950_000 / 139_993_000 - 1) * 100)  # 3.5409 %

    # Buy OKX at 100,000 USDT = 140,000,000 KRW (+0.1 % = 140,140,000);
    # sell Upbit at 144,900,000 (-0.05 % = 144,827,550): +4,687,550 KRW a coin, 3.3449 %.
    o2u = row.okx_to_upbit
    assert o2u is not None
    assert o2u.buy_price == pytest.approx(140_000_000)
    assert o2u.cost == pytest.approx(140_140_000)
    assert o2u.proceeds == pytest.approx(144_827_550)
    assert o2u.net_krw == pytest.approx(4_687_550)
    assert o2u.net_pct == pytest.approx(3.344905094905, rel=1e-9)
    assert o2u.size == pytest.approx(0.3)  # OKX ask 0.3 vs Upbit bid 0.5
    assert o2u.profit_krw == pytest.approx(1_406_265)

    # Buy Upbit at 145,000,000 (+0.05 % = 145,072,500); sell OKX at 99,990 USDT =
    # 139,986,000 KRW (-0.1 % = 139,846,014): -5,226,486 KRW a coin.
    u2o = row.upbit_to_okx
    assert u2o is not None
    assert u2o.cost == pytest.approx(145_072_500)
    assert u2o.proceeds == pytest.approx(139_846_014)
    assert u2o.net_krw == pytest.approx(-5_226_486)
    assert u2o.size == pytest.approx(0.2)  # Upbit ask 0.2 vs OKX bid 1.0

    assert row.best is o2u
    assert row.net_pct == pytest.approx(o2u.net_pct)
    assert row.size == pytest.approx(0.3)
    assert row.profit_krw == pytest.approx(1_406_265)


def test_compute_row_fee_defaults_and_mid_basis() -> None:
    row = compute_row("BTC", UPBIT_BTC, OKX_BTC, RATE)  # Upbit 0.05 %, OKX 0.1 %
    assert row.okx_to_upbit is not None
    assert row.okx_to_upbit.cost == pytest.approx(140_000_000 * 1.001)
    mid = compute_row("BTC", UPBIT_BTC, OKX_BTC, RATE, basis="mid")
    assert mid.upbit_krw == 144_950_000.0 and mid.okx_usdt == 99_995.0


def test_okx_sizes_in_contracts_convert_to_coins() -> None:
    okx = Top(100.0, 99.0, 100.0, 50.0, 30.0)  # sizes in contracts of 0.01 coin
    up = Top(140_000.0, 139_900.0, 140_100.0, 10.0, 10.0)
    row = compute_row("X", up, okx, 1_400.0, okx_size_multiplier=0.01)
    assert row.okx_to_upbit is not None and row.okx_to_upbit.size == pytest.approx(0.3)
    assert row.upbit_to_okx is not None and row.upbit_to_okx.size == pytest.approx(0.5)


def test_compute_row_with_missing_data() -> None:
    row = compute_row("ETH", None, OKX_BTC, RATE)
    assert row.premium_pct is None and row.best is None and row.net_pct is None
    row = compute_row("ETH", UPBIT_BTC, OKX_BTC, 0.0)  # no USDT rate yet
    assert row.premium_pct is None and row.best is None and row.okx_krw == 0.0
    # Prices without books: a premium, no spread.
    row = compute_row("ETH", Top(5_000_000.0), Top(3_500.0), RATE)
    assert row.premium_pct == pytest.approx((5_000_000 / 4_900_000 - 1) * 100)
    assert row.best is None and row.size is None


# ---------------------------------------------------------------------------- sorting


def _row(coin: str, prem: float | None, net: float | None = None) -> ArbRow:
    opp = None
    if net is not None:
        opp = net_spread("okx", 100.0, 1.0, 0.0, "upbit", 100.0 * (1 + net / 100), 1.0, 0.0)
    return ArbRow(coin, 1.0, 1.0, 1.0, prem, None, opp)


def test_sort_rows_keys_and_unknowns_last() -> None:
    rows = [_row("A", 1.0, 0.2), _row("B", 3.0, -0.1), _row("C", None, None), _row("D", -2.0, 0.5)]
    assert [r.coin for r in sort_rows(rows, "premium")] == ["B", "A", "D", "C"]
    assert [r.coin for r in sort_rows(rows, "premium", reverse=True)] == ["D", "A", "B", "C"]
    assert [r.coin for r in sort_rows(rows, "spread")] == ["D", "A", "B", "C"]
    assert [r.coin for r in sort_rows(rows, "coin")] == ["A", "B", "C", "D"]
    assert [r.coin for r in sort_rows(rows, "coin", reverse=True)] == ["D", "C", "B", "A"]
    with pytest.raises(ValueError):
        sort_rows(rows, "nope")


# ---------------------------------------------------------------------------- alerts


def test_premium_crossing_fires_once_with_hysteresis() -> None:
    eng = ArbAlertEngine(ArbAlertConfig(premium_pct=5.0, hysteresis_pct=0.2, cooldown_s=0))
    fired = []
    for t, prem in enumerate([4.0, 5.1, 5.3, 4.9, 5.2, 6.0, 4.85, 5.05, 4.7, 5.0]):
        fired.append([a.kind for a in eng.check(_row("BTC", prem), t * 1000)])
    # 5.1 crosses; 5.3/4.9/5.2/6.0/4.85/5.05 wobble without re-arming (re-arm below 4.8);
    # 4.7 re-arms, 5.0 (at the threshold) crosses again.
    assert fired == [[], ["premium"], [], [], [], [], [], [], [], ["premium"]]
    assert len(eng.log) == 2
    alert = eng.log[0]
    assert alert.market == "KRW-BTC" and alert.value == pytest.approx(0.051)
    assert "premium +5.10%" in alert.message


def test_reverse_premium_and_spread_alerts() -> None:
    eng = ArbAlertEngine(ArbAlertConfig(premium_pct=3.0, spread_pct=0.5, cooldown_s=0))
    assert eng.check(_row("XRP", 0.0, 0.0), 0) == []
    kinds = [a.kind for a in eng.check(_row("XRP", -3.2, 0.6), 1000)]
    assert sorted(kinds) == ["arbitrage", "discount"]
    assert eng.check(_row("XRP", -3.5, 0.7), 2000) == []  # still beyond: no repeat
    # Each coin has its own rules.
    assert [a.kind for a in eng.check(_row("ETH", 0.0, 0.0), 0)] == []
    assert [a.kind for a in eng.check(_row("ETH", 3.1, 0.0), 1000)] == ["premium"]


def test_first_observation_is_not_a_crossing_unless_asked() -> None:
    quiet = ArbAlertEngine(ArbAlertConfig(premium_pct=3.0))
    assert quiet.check(_row("BTC", 3.5), 0) == []
    eager = ArbAlertEngine(ArbAlertConfig(premium_pct=3.0, alert_on_first=True))
    assert [a.kind for a in eager.check(_row("BTC", 3.5), 0)] == ["premium"]


def test_lowering_a_threshold_below_the_value_fires() -> None:
    eng = ArbAlertEngine(ArbAlertConfig(premium_pct=5.0))
    assert eng.check(_row("BTC", 3.5), 0) == []
    eng.reconfigure(ArbAlertConfig(premium_pct=3.0))
    assert [a.kind for a in eng.check(_row("BTC", 3.5), 1000)] == ["premium"]
    assert eng.check(_row("BTC", 3.6), 2000) == []


def test_cooldown_suppresses_a_quick_repeat() -> None:
    eng = ArbAlertEngine(ArbAlertConfig(premium_pct=5.0, hysteresis_pct=0.2, cooldown_s=60))
    eng.check(_row("BTC", 4.0), 0)
    assert len(eng.check(_row("BTC", 5.5), 1_000)) == 1
    eng.check(_row("BTC", 4.0), 2_000)  # re-armed
    assert eng.check(_row("BTC", 5.5), 3_000) == []  # within 60 s of the last one
    eng.check(_row("BTC", 4.0), 70_000)
    assert len(eng.check(_row("BTC", 5.5), 71_000)) == 1


# ---------------------------------------------------------------------------- VWAP, deviation


def _trades() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # Upbit (KRW): 1 @ 140,000 + 3 @ 144,000 -> VWAP 143,000, 4 coins
            (0.0, "BTC", "upbit", 140_000.0, 1.0),
            (1.0, "BTC", "upbit", 144_000.0, 3.0),
            # OKX (USDT): 2 @ 100 + 2 @ 102 -> VWAP 101 USDT = 141,400 KRW at 1,400
            (0.5, "BTC", "okx", 100.0, 2.0),
            (1.5, "BTC", "okx", 102.0, 2.0),
            # ETH only on Upbit
            (2.0, "ETH", "upbit", 5_000.0, 10.0),
        ],
        columns=["time", "coin", "venue", "price", "size"],
    )


def test_venue_vwap() -> None:
    v = venue_vwap(_trades())
    assert v.loc[("BTC", "upbit"), "vwap"] == pytest.approx(143_000)
    assert v.loc[("BTC", "upbit"), "volume"] == pytest.approx(4.0)
    assert v.loc[("BTC", "okx"), "vwap"] == pytest.approx(101.0)
    assert v.loc[("BTC", "okx"), "trades"] == 2


def test_cross_venue_vwap_and_deviation() -> None:
    x = cross_venue_vwap(_trades(), 1_400.0)
    btc = x.loc["BTC"]
    assert btc["vwap_upbit"] == pytest.approx(143_000)
    assert btc["vwap_okx"] == pytest.approx(141_400)
    # (143,000 * 4 + 141,400 * 4) / 8 = 142,200
    assert btc["vwap"] == pytest.approx(142_200)
    assert btc["dev_upbit_pct"] == pytest.approx((143_000 / 142_200 - 1) * 100)
    assert btc["dev_okx_pct"] == pytest.approx((141_400 / 142_200 - 1) * 100)
    assert btc["vwap_premium_pct"] == pytest.approx((143_000 / 141_400 - 1) * 100)
    eth = x.loc["ETH"]
    assert eth["vwap"] == pytest.approx(5_000) and math.isnan(eth["vwap_okx"])
    assert eth["volume_okx"] == 0.0
    assert cross_venue_vwap(_trades().iloc[0:0], 1_400.0).empty


def test_premium_stats_and_z_score() -> None:
    samples = pd.DataFrame(
        [(t, "BTC", 0.0, 0.0, p) for t, p in enumerate([3.0, 3.2, 3.4, 3.6, 3.8])]
        + [(0.0, "SOL", 0.0, 0.0, 1.0)],
        columns=["time", "coin", "upbit_krw", "okx_krw", "premium_pct"],
    )
    s = premium_stats(samples).loc["BTC"]
    assert s["premium_last"] == pytest.approx(3.8)
    assert s["premium_mean"] == pytest.approx(3.4)
    std = pd.Series([3.0, 3.2, 3.4, 3.6, 3.8]).std()  # sample std = 0.31623
    assert s["premium_std"] == pytest.approx(std)
    assert s["premium_z"] == pytest.approx(0.4 / std)
    assert s["premium_min"] == 3.0 and s["premium_max"] == 3.8 and s["samples"] == 5
    assert math.isnan(premium_stats(samples).loc["SOL", "premium_z"])  # one sample


def test_window_trims_and_analyses() -> None:
    w = CrossVenueWindow(window_s=10.0, sample_every_s=1.0)
    w.add_trade("BTC", "upbit", 0.0, 1.0, 1.0)  # will fall out of the window
    w.add_trade("BTC", "upbit", 95.0, 143_000.0, 2.0)
    w.add_trade("BTC", "okx", 96.0, 100.0, 2.0)
    w.add_trade("BTC", "okx", 96.0, 0.0, 2.0)  # bad price: ignored
    row = compute_row("BTC", Top(143_000.0), Top(100.0), 1_400.0)
    assert w.add_sample(row, 97.0)
    assert not w.add_sample(row, 97.5)  # at most one a second
    assert w.add_sample(row, 98.0)
    out = w.analyze(1_400.0, now=100.0)
    assert list(out.columns) == list(ANALYSIS_COLUMNS)
    btc = out.loc["BTC"]
    assert btc["vwap_upbit"] == pytest.approx(143_000)  # the 1.0 trade at t=0 is gone
    assert btc["vwap"] == pytest.approx((143_000 * 2 + 140_000 * 2) / 4)
    assert btc["premium_last"] == pytest.approx((143_000 / 140_000 - 1) * 100)
    assert btc["samples"] == 2
    empty = CrossVenueWindow().analyze(1_400.0)
    assert empty.empty and list(empty.columns) == list(ANALYSIS_COLUMNS)


# ---------------------------------------------------------------------------- markets


def test_coins_on_both_and_markets_for() -> None:
    up = ["KRW-BTC", "KRW-ETH", "KRW-USDT", "BTC-ETH", "KRW-WEMIX"]
    ok = ["BTC-USDT", "ETH-USDT", "ETH-USDC", "SOL-USDT", "BTC-USDT-SWAP"]
    assert coins_on_both(up, ok) == ["BTC", "ETH"]
    assert markets_for(["BTC", "ETH"]) == {
        "upbit": ["KRW-BTC", "KRW-ETH", "KRW-USDT"],
        "okx": ["BTC-USDT", "ETH-USDT"],
    }
