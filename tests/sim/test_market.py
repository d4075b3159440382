"""The exchange-neutral market process, stepped by hand with a fixed clock."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

import pytest

from dantaro_tui.sim.market import (
    CANDLE_UNITS,
    ListingSpec,
    MarketProcess,
    StepResult,
    Trade,
    snap_down,
    snap_up,
)
from dantaro_tui.sim.upbit import btc_tick, krw_stable_tick, krw_tick, listing_specs, load_markets

START = 1_767_225_600_000 + 5 * 3_600_000  # 2026-01-01 05:00 UTC


def usdt_flat(price: float) -> float:
    return 0.01 if price >= 1 else 0.0001


def small_market(seed: int = 1, **kw: float) -> MarketProcess:
    m = MarketProcess(seed, start_ms=START, **kw)
    for base, rate in (("BTC", 6.0), ("ETH", 3.0), ("XRP", 5.0), ("HUNT", 0.2), ("PEPE", 1.0)):
        m.add_listing(
            ListingSpec("upbit", f"KRW-{base}", base, "KRW", krw_tick, rate, premium=True)
        )
    m.add_listing(ListingSpec("upbit", "KRW-USDT", "USDT", "KRW", krw_stable_tick, 2.0))
    m.add_listing(ListingSpec("upbit", "BTC-ETH", "ETH", "BTC", btc_tick, 0.05, depth=8))
    return m


def run(m: MarketProcess, steps: int, dt: float = 0.1) -> list[StepResult]:
    return [m.step(dt) for _ in range(steps)]


def trade_key(t: Trade) -> tuple:
    return (t.listing.symbol, t.price, t.size, t.side, t.ts, t.seq)


def test_deterministic_for_a_seed() -> None:
    a, b, c = small_market(5), small_market(5), small_market(6)
    ta = [trade_key(t) for r in run(a, 300) for t in r.trades]
    tb = [trade_key(t) for r in run(b, 300) for t in r.trades]
    tc = [trade_key(t) for r in run(c, 300) for t in r.trades]
    assert ta and ta == tb and ta != tc
    for x, y in zip(a.listings(), b.listings(), strict=True):
        assert x.asks == y.asks and x.bids == y.bids
        assert [cc.close for cc in x.candles_before(60, None, 300)] == [
            cc.close for cc in y.candles_before(60, None, 300)
        ]


def test_adding_a_venue_does_not_change_another() -> None:
    a, b = small_market(9), small_market(9)
    b.add_listing(ListingSpec("okx", "BTC-USDT", "BTC", "USDT", usdt_flat, 4.0))
    ta = [trade_key(t) for r in run(a, 100) for t in r.trades if t.listing.symbol == "KRW-XRP"]
    tb = [trade_key(t) for r in run(b, 100) for t in r.trades if t.listing.symbol == "KRW-XRP"]
    assert ta and ta == tb


def test_plausible_prices() -> None:
    m = small_market()
    price = {x.symbol: x.last for x in m.listings()}
    assert 1.2e8 < price["KRW-BTC"] < 1.6e8
    assert 4.3e6 < price["KRW-ETH"] < 5.8e6
    assert 1380 <= price["KRW-USDT"] <= 1450
    assert 1380 <= 1 / m.fair_usd("KRW") <= 1450 and m.krw_per_usd == pytest.approx(
        1 / m.fair_usd("KRW")
    )
    assert price["BTC-ETH"] == pytest.approx(price["KRW-ETH"] / price["KRW-BTC"], rel=0.02)


def test_books_stay_sane_on_the_tick_grid() -> None:
    m = small_market(2)
    for _ in range(1500):
        m.step(0.1)
        for x in m.listings():
            asks, bids = x.asks, x.bids
            assert 0 < len(asks) <= x.depth and 0 < len(bids) <= x.depth
            assert bids[0][0] < asks[0][0]
            assert all(a[0] < b[0] for a, b in itertools.pairwise(asks))
            assert all(a[0] > b[0] for a, b in itertools.pairwise(bids))
            for p, size in asks[:3] + bids[:3]:
                assert size > 0 and snap_down(p, x.tick) == p == snap_up(p, x.tick)


def test_trades_hit_the_book() -> None:
    m = small_market(3)
    checked = 0
    for _ in range(800):
        before = {
            x.symbol: ({p: s for p, s in x.asks}, {p: s for p, s in x.bids}) for x in m.listings()
        }
        res = m.step(0.1)
        taken: dict[tuple[str, str, float], float] = defaultdict(float)
        for t in res.trades:
            asks, bids = before[t.listing.symbol]
            side = asks if t.side == "buy" else bids
            assert t.price in side, t
            taken[(t.listing.symbol, t.side, t.price)] += t.size
            assert taken[(t.listing.symbol, t.side, t.price)] <= side[t.price] + 1e-8
            if t.side == "buy":
                assert t.price >= min(asks)
            else:
                assert t.price <= max(bids)
            checked += 1
    assert checked > 500


def test_sequential_ids_and_times_increase() -> None:
    m = small_market(4)
    last: dict[str, tuple[int, int]] = {}
    for r in run(m, 600):
        for t in r.trades:
            prev = last.get(t.listing.symbol, (0, 0))
            assert t.seq > prev[0] and t.ts >= prev[1]
            assert t.ts <= r.now_ms
            last[t.listing.symbol] = (t.seq, t.ts)
        assert [t.ts for t in r.trades] == sorted(t.ts for t in r.trades)


def test_day_figures_follow_the_trades() -> None:
    m = small_market(5)
    x = m.listing("upbit", "KRW-XRP")
    assert x is not None
    v0, a0 = x.day.volume, x.day.amount
    ask0, bid0 = x.acc_ask_volume, x.acc_bid_volume
    vol24_0, _ = x.rolling_24h()
    trades = [t for r in run(m, 600) for t in r.trades if t.listing is x]
    assert len(trades) > 100
    assert x.day.volume == pytest.approx(v0 + sum(t.size for t in trades))
    assert x.day.amount == pytest.approx(a0 + sum(t.size * t.price for t in trades))
    assert x.day.high >= max(t.price for t in trades) and x.day.low <= min(t.price for t in trades)
    assert x.acc_bid_volume == pytest.approx(bid0 + sum(t.size for t in trades if t.side == "buy"))
    assert x.acc_ask_volume == pytest.approx(ask0 + sum(t.size for t in trades if t.side == "sell"))
    assert x.last == trades[-1].price and x.last_size == trades[-1].size
    change, diff, rate = x.change()
    assert diff == pytest.approx(x.last - x.prev_close)
    assert change == ("RISE" if diff > 0 else "FALL" if diff < 0 else "EVEN")
    assert rate == pytest.approx(diff / x.prev_close)
    vol24, amt24 = x.rolling_24h()
    assert vol24 > 0 and amt24 > 0
    assert vol24 == pytest.approx(vol24_0 + sum(t.size for t in trades), rel=0.05)
    hp, _, lp, _ = x.week52()
    assert lp <= x.day.low <= x.day.high <= hp


def test_candles_agree_with_trades() -> None:
    m = small_market(6)
    trades = [t for r in run(m, 1300) for t in r.trades if t.listing.symbol == "KRW-BTC"]
    x = trades[0].listing
    for unit in (1, 60, 300):
        grouped: dict[int, list[Trade]] = defaultdict(list)
        for t in trades:
            grouped[t.ts - t.ts % (unit * 1000)].append(t)
        candles = {c.start: c for c in x.candles_before(unit, None, 200) if c.start >= START}
        compared = 0
        for start, ts in grouped.items():
            if start < START or start not in candles:
                continue
            c = candles[start]
            prices = [t.price for t in ts]
            assert (c.open, c.high, c.low, c.close) == (
                prices[0],
                max(prices),
                min(prices),
                prices[-1],
            )
            assert c.volume == pytest.approx(sum(t.size for t in ts))
            assert c.last_ts == ts[-1].ts
            compared += 1
        assert compared >= min(len(grouped) - 1, 100), unit


def test_candle_pushes_at_most_once_a_second() -> None:
    m = small_market(7)
    pushes: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for r in run(m, 100, dt=0.05):
        for lst, unit, c in r.candles:
            assert unit in CANDLE_UNITS
            pushes[(lst.symbol, unit, c.start)].append(r.now_ms)
    per_listing = defaultdict(list)
    for (sym, unit, _), times in pushes.items():
        if unit == 60:
            per_listing[sym].extend(times)
    for times in per_listing.values():
        times = sorted(set(times))
        assert all(b - a >= 1000 for a, b in itertools.pairwise(times))


@pytest.mark.parametrize("unit", [1, 60, 14400, 86400])
def test_history_before_the_start(unit: int) -> None:
    m = small_market(8)
    run(m, 20)
    x = m.listing("upbit", "KRW-ETH")
    assert x is not None
    candles = x.candles_before(unit, None, 200)
    assert len(candles) == 200
    starts = [c.start for c in candles]
    assert starts == sorted(starts, reverse=True) and all(s % (unit * 1000) == 0 for s in starts)
    for c in candles:
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert snap_down(c.low, x.tick) == c.low and snap_up(c.high, x.tick) == c.high
        assert c.start <= c.last_ts < c.start + unit * 1000
    older = [c for c in candles if c.start < START - START % (unit * 1000)]
    newer = [c for c in candles if c not in older]
    if older and newer:  # the generated past ends where the live market began
        expected = x.prev_close if unit == 86400 else x.start_price
        assert older[0].close == expected
    page = x.candles_before(unit, candles[-1].start, 200)
    assert page and page[0].start < candles[-1].start
    again = x.candles_before(unit, candles[-1].start, 200)
    assert [c.close for c in again] == [c.close for c in page]
    assert all(a.open == b.close for a, b in itertools.pairwise(older) if unit == 86400)


def test_pumps_move_price_and_activity() -> None:
    m = small_market(9)
    x = m.listing("upbit", "KRW-HUNT")
    assert x is not None
    run(m, 50)
    quiet = sum(1 for r in run(m, 100) for t in r.trades if t.listing is x)
    p0 = x.last
    m.pump("HUNT", 15.0, 10.0)
    busy = sum(1 for r in run(m, 100) for t in r.trades if t.listing is x)
    assert 1.08 < x.last / p0 < 1.25
    assert busy > 3 * max(quiet, 1)


def test_pumps_happen_on_their_own() -> None:
    m = MarketProcess(1, start_ms=START)
    for base in ("BTC", "AAA", "BBB", "CCC"):
        m.add_listing(ListingSpec("upbit", f"KRW-{base}", base, "KRW", krw_tick, 0.01, depth=5))
    seen = set()
    for _ in range(1800):  # one simulated hour
        m.step(2.0)
        seen |= {s for s, a in m.assets.items() if a.pump is not None}
    assert seen and "BTC" not in seen


def test_volatility_clusters() -> None:
    m = MarketProcess(2, start_ms=START)
    m.add_listing(ListingSpec("upbit", "KRW-BTC", "BTC", "KRW", krw_tick, 0.01, depth=5))
    prev = math.log(m.fair_usd("BTC"))
    rets = []
    for _ in range(20000):  # ~28 simulated hours
        m.step(5.0)
        now = math.log(m.fair_usd("BTC"))
        rets.append(now - prev)
        prev = now
    windows = [statistics.pstdev(rets[i : i + 720]) for i in range(0, len(rets) - 720, 720)]
    assert max(windows) / min(windows) > 1.5
    sq = [r * r for r in rets]
    mean = statistics.fmean(sq)
    cov = statistics.fmean((a - mean) * (b - mean) for a, b in itertools.pairwise(sq))
    assert cov / statistics.pvariance(sq) > 0.02  # squared returns are autocorrelated


def test_hot_markets_trade_far_more() -> None:
    markets = [m["market"] for m in load_markets()]
    m = MarketProcess(1, start_ms=START)
    for spec in listing_specs(markets, 1):
        m.add_listing(spec)
    counts: dict[str, int] = defaultdict(int)
    for r in run(m, 300):
        for t in r.trades:
            counts[t.listing.symbol] += 1
    krw = sorted((counts.get(c, 0) for c in markets if c.startswith("KRW-")), reverse=True)
    assert len(krw) >= 170  # Upbit lists some 180 KRW markets
    assert statistics.fmean(krw[:5]) > 10 * max(statistics.median(krw), 1)
    assert 30 < sum(krw) / 30.0 < 200  # intensity 1: tens of trades/s across KRW markets


def test_kimchi_premium_and_cross_venue_prices() -> None:
    m = MarketProcess(4, start_ms=START, kimchi_premium=3.0)
    krw = m.add_listing(ListingSpec("upbit", "KRW-ETH", "ETH", "KRW", krw_tick, 2.0, premium=True))
    usdt = m.add_listing(ListingSpec("upbit", "KRW-USDT", "USDT", "KRW", krw_stable_tick, 2.0))
    okx = m.add_listing(ListingSpec("okx", "ETH-USDT", "ETH", "USDT", usdt_flat, 2.0))
    for _ in range(30):
        run(m, 20)
        implied = krw.last / usdt.last / 1.03
        assert implied == pytest.approx(okx.last, rel=0.006)
        assert okx.target() == pytest.approx(m.fair_usd("ETH") / m.fair_usd("USDT"), rel=0.01)


def test_duplicate_listing_refused() -> None:
    m = small_market()
    with pytest.raises(ValueError):
        m.add_listing(ListingSpec("upbit", "KRW-BTC", "BTC", "KRW", krw_tick))
    assert {x.symbol for x in m.listings("upbit")} >= {"KRW-BTC", "BTC-ETH"}
    assert m.listings("okx") == []
