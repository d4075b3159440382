"""The demo market as a Korean trader reads it (issue "The cockpit as a trader expects it",
section "A believable demo market"): today's Upbit market list led by the majors, Upbit's
price units with full books and one-tick spreads, candles as wide as the coin moves, one
price per coin across KRW, BTC and USDT markets, and dollar coins that agree across venues.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import statistics
import time
from pathlib import Path
from types import ModuleType

import pytest

from dantaro_tui.analytics.arbitrage import premium
from dantaro_tui.sim.market import REFERENCE_USD, STABLES, Candle, Listing, MarketProcess
from dantaro_tui.sim.okx_wire import BASES as OKX_BASES
from dantaro_tui.sim.server import SimServer
from dantaro_tui.sim.upbit import (
    MARKETS_FILE,
    btc_tick,
    krw_stable_tick,
    krw_tick,
    listing_specs,
    load_markets,
    usdt_tick,
)

START = 1_767_225_600_000 + 5 * 3_600_000  # 2026-01-01 05:00 UTC
MAJORS = {"BTC", "ETH", "XRP", "SOL", "DOGE", "USDT"}
# Bases Upbit has delisted (or renamed) that the 2021 recording still lists.
GONE = {
    "SRM", "BCHA", "LAMB", "EMC2", "LBC", "DAWN", "OMG", "STRAX", "MARO", "PCI", "OBSR",
    "SOLVE", "QTCON", "TSHP", "PXL", "DMT", "IGNIS", "EDR", "RFR", "ADX", "KMD", "HUM",
    "POLY", "MFT", "LUNA", "WEMIX",
}  # fmt: skip


def upbit_market(
    seed: int = 1, codes: list[str] | None = None, kimchi_premium: float = 0.0
) -> MarketProcess:
    m = MarketProcess(seed, start_ms=START, kimchi_premium=kimchi_premium)
    for spec in listing_specs(codes or [r["market"] for r in load_markets()], seed):
        m.add_listing(spec)
    return m


def one_tick_apart(lst: Listing, prices: list[float]) -> bool:
    """Is each price one tick (of the lower one) from the next?"""
    return all(
        abs(abs(b - a) / lst.tick(min(a, b)) - 1.0) < 1e-6 for a, b in itertools.pairwise(prices)
    )


def builder() -> ModuleType:
    path = MARKETS_FILE.parent / "build_upbit_markets.py"
    spec = importlib.util.spec_from_file_location("build_upbit_markets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- 1. the list


def test_no_delisted_market_is_listed() -> None:
    rows = load_markets()
    codes = [r["market"] for r in rows]
    assert len(codes) == len(set(codes))
    assert all(list(r) == ["market", "korean_name", "english_name"] for r in rows)
    assert all(r["korean_name"] and r["english_name"] for r in rows)
    assert {c.split("-")[0] for c in codes} == {"KRW", "BTC", "USDT"}
    listed = {c.split("-", 1)[1] for c in codes}
    assert not listed & GONE, sorted(listed & GONE)
    assert "BTC-BTT" not in codes  # BTT trades under a satoshi since its 2022 redenomination
    # Renamed coins trade under their new names.
    assert {"KRW-XEC", "KRW-HPO", "KRW-POLYX", "KRW-HIFI", "KRW-POL"} <= set(codes)
    assert 170 <= sum(c.startswith("KRW-") for c in codes) <= 260


def test_the_market_file_is_what_its_builder_writes(tmp_path: Path) -> None:
    b = builder()
    if not b.RECORDED.exists():
        pytest.skip(f"no recorded market list at {b.RECORDED}")
    assert b.build() == load_markets()
    assert not {r["market"].split("-", 1)[1] for r in b.build()} & set(b.DELISTED)
    # A fresh capture of GET /v1/market/all is taken as it is.
    capture = [
        {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin",
         "market_event": {"warning": False}},
        {"market": "KRW-NEW", "korean_name": "새코인", "english_name": "New"},
    ]  # fmt: skip
    path = tmp_path / "market_all.json"
    path.write_text(json.dumps(capture, ensure_ascii=False), encoding="utf-8")
    assert b.build(path) == [
        {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"},
        {"market": "KRW-NEW", "korean_name": "새코인", "english_name": "New"},
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_majors_lead_the_24h_turnover(seed: int) -> None:
    m = upbit_market(seed)
    for _ in range(60):
        m.step(1.0)
    krw = sorted(
        (lst for lst in m.listings("upbit") if lst.spec.quote == "KRW"),
        key=lambda lst: lst.rolling_24h()[1],
        reverse=True,
    )
    top5 = [lst.spec.base for lst in krw[:5]]
    assert set(top5) <= MAJORS, top5
    assert {"BTC", "ETH", "XRP"} <= set(top5), top5
    # Tens to hundreds of billions of KRW a day at the top, a quiet tail below a billion.
    assert 1e11 < krw[0].rolling_24h()[1] < 2e12
    assert statistics.median(lst.rolling_24h()[1] for lst in krw) < 3e9


# ---------------------------------------------------------------------------- 2. ticks, books


@pytest.mark.parametrize(
    ("price", "unit"),
    [
        (150_000_000, 1000), (1_500_000, 1000), (700_000, 500), (250_000, 100),
        (70_000, 50), (30_000, 10), (7_000, 5), (3_000, 1), (300, 1), (30, 0.1), (3, 0.01),
        (0.3, 0.001), (0.03, 0.0001), (0.003, 0.00001), (0.0003, 0.000001),
        (0.00003, 0.0000001), (0.000003, 0.00000001),
    ],
)  # fmt: skip
def test_krw_price_units(price: float, unit: float) -> None:
    assert krw_tick(price) == unit


def test_stablecoin_and_other_quote_units() -> None:
    assert krw_stable_tick(1_410) == 0.5 and krw_stable_tick(12_000) == 10
    assert btc_tick(0.035) == 1e-8
    assert usdt_tick(100_000) == 0.01 and usdt_tick(2.3) == 0.001 and usdt_tick(0.008) == 1e-6


def test_liquid_books_are_full_with_a_one_tick_spread() -> None:
    coarse = ["KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-USDT", "KRW-ADA"]
    m = upbit_market(4, ["KRW-BTC", *coarse, "KRW-HUNT", "BTC-ETH"])
    books = {x.symbol: x for x in m.listings()}
    one_tick: dict[str, int] = dict.fromkeys(books, 0)
    steps = 1200
    for _ in range(steps):
        m.step(0.1)
        for sym in ["KRW-BTC", *coarse]:
            x = books[sym]
            asks, bids = [p for p, _ in x.asks], [p for p, _ in x.bids]
            # DOGE at 287 KRW: 287, 288, 289, ... never 288, 293, 298.
            top = 5 if sym == "KRW-BTC" else 10
            assert one_tick_apart(x, asks[:top]), (sym, asks[:top])
            assert one_tick_apart(x, bids[:top]), (sym, bids[:top])
            if one_tick_apart(x, [bids[0], asks[0]]):
                one_tick[sym] += 1
    for sym in coarse:
        assert one_tick[sym] > 0.95 * steps, (sym, one_tick[sym])
    assert one_tick["KRW-BTC"] > 0.85 * steps


def test_candle_wicks_follow_the_coins_volatility() -> None:
    m = upbit_market(5, ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-DOGE", "KRW-USDT"])
    listing = {x.symbol: x for x in m.listings()}
    doge, btc = listing["KRW-DOGE"], listing["KRW-BTC"]

    def ranges(candles: list[Candle]) -> list[float]:
        return [(c.high - c.low) / c.close for c in candles]

    # The chart's first screen: 200 generated 1 m candles before the start.
    for x in listing.values():
        wide = [r for r in ranges(x.candles_before(60, None, 200)) if r >= 0.013]
        assert len(wide) <= 2, (x.symbol, len(wide))
    history = doge.candles_before(60, None, 200)
    one_tick = doge.tick(doge.last) / doge.last
    assert statistics.median(ranges(history)) <= one_tick * 1.01  # the bid/ask bounce
    assert 0.0002 < statistics.median(ranges(btc.candles_before(60, None, 200))) < 0.003
    # Ten live minutes: the same.
    for _ in range(1200):
        m.step(0.5)
    live = [c for c in doge.candles_before(60, None, 12) if c.start >= START]
    assert len(live) >= 9
    assert statistics.median(ranges(live)) <= 2.01 * one_tick
    live_btc = [c for c in btc.candles_before(60, None, 12) if c.start >= START]
    assert 0.0002 < statistics.median(ranges(live_btc)) < 0.004


# ---------------------------------------------------------------------------- 3. one price


def test_every_listed_coin_has_a_reference_price() -> None:
    bases = {r["market"].split("-", 1)[1] for r in load_markets()} | set(OKX_BASES)
    missing = sorted(b for b in bases if b not in REFERENCE_USD and b not in STABLES)
    assert not missing, f"add an approximate USD price to REFERENCE_USD for {missing}"


@pytest.mark.parametrize("kimchi", [0.0, 3.5])
def test_a_coin_has_one_price_across_quotes(kimchi: float) -> None:
    m = upbit_market(6, kimchi_premium=kimchi)
    for _ in range(60):
        m.step(0.5)
    up = {x.symbol: x for x in m.listings("upbit")}
    usdt_krw, btc_krw = up["KRW-USDT"].mid(), up["KRW-BTC"].mid()
    compared = 0
    for sym, x in up.items():
        quote, base = sym.split("-", 1)
        if quote == "KRW":
            continue
        krw = up.get(f"KRW-{base}")
        if krw is not None:
            # USDT-X = KRW-X / KRW-USDT; BTC-X = KRW-X / KRW-BTC (within a tick and 1 %)
            ref = krw.mid() / (usdt_krw if quote == "USDT" else btc_krw)
        else:  # no KRW market: the coin's own fair value, premium included
            lift = 1.0 + kimchi / 100.0 if quote == "USDT" and base not in STABLES else 1.0
            ref = m.fair_usd(base) / m.fair_usd(quote) * lift
        tolerance = 0.01 * ref + x.tick(ref)
        assert abs(x.mid() - ref) <= tolerance, (sym, x.mid(), ref)
        compared += 1
    assert compared > 140
    assert up["USDT-TUSD"].mid() == pytest.approx(1.0, abs=0.003)  # a dollar coin
    assert 0.001 < up["USDT-DGB"].mid() < 0.05  # DigiByte: about a cent


# ---------------------------------------------------------------------------- 4. two venues


@pytest.mark.parametrize("kimchi", [0.0, 3.5])
def test_dollar_coins_agree_across_venues_and_the_premium_moves_coins(kimchi: float) -> None:
    sim = SimServer(seed=8, kimchi_premium=kimchi, venues=["upbit", "okx"])
    m = sim.market
    up = {x.symbol: x for x in m.listings("upbit")}
    okx = {x.symbol: x for x in m.listings("okx")}
    usdc_usdt, okx_usdc, coin_premiums = [], [], []
    for i in range(300):  # five minutes
        m.step(1.0)
        if i % 5:
            continue
        rate = up["KRW-USDT"].mid()
        usdc_usdt.append(up["KRW-USDC"].mid() / rate)
        okx_usdc.append(okx["USDC-USDT"].mid())
        for coin in ("BTC", "ETH", "XRP", "SOL", "DOGE"):
            p = premium(up[f"KRW-{coin}"].mid(), okx[f"{coin}-USDT"].mid(), rate)
            assert p is not None
            coin_premiums.append(p * 100.0)
    # KRW-USDC / KRW-USDT at 1.00 (a tick of KRW-USDT is 0.035 %), USDC-USDT at 1.000.
    assert max(abs(r - 1.0) for r in usdc_usdt) < 0.001
    assert max(abs(r - 1.0) for r in okx_usdc) < 0.001
    usdc_premium = premium(up["KRW-USDC"].mid(), okx["USDC-USDT"].mid(), up["KRW-USDT"].mid())
    assert usdc_premium is not None and abs(usdc_premium) < 0.0015
    # The premium setting still lifts Upbit's coins over OKX's.
    assert statistics.fmean(coin_premiums) == pytest.approx(kimchi, abs=0.15)
    assert max(abs(p - kimchi) for p in coin_premiums) < 0.6


def test_the_demo_is_deterministic_for_a_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: START / 1000.0)  # the simulator's start

    def run(seed: int) -> list[tuple[str, list[list[float]], list[list[float]], float]]:
        m = SimServer(seed=seed, kimchi_premium=2.0, venues=["upbit", "okx"]).market
        for _ in range(100):
            m.step(0.1)
        return [(x.symbol, x.asks, x.bids, x.last) for x in m.listings()]

    first = run(3)
    assert first == run(3) and first != run(4)
