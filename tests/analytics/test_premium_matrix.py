"""The premium matrix on hand-made quotes: premiums against both rates, fees, directions,
sizes, the Korean venues against each other, and no number at all from impossible input."""

from __future__ import annotations

import math

import pytest

from dantaro_tui.analytics.arbitrage import Top
from dantaro_tui.analytics.premium_matrix import (
    GLOBAL_VENUES,
    KOREAN_VENUES,
    TAKER_FEE_PCT,
    Rates,
    coins_listed,
    compute_matrix,
    compute_pair,
    compute_row,
    korean_spread,
    sane_top,
    tether_rate,
    venue_symbol,
)

BANK = 1_400.0
USDT = 1_410.0  # the tether rate sits above the bank rate, as it usually does in Korea
UPBIT_BTC = Top(0.0, bid=144_900_000.0, ask=145_100_000.0, bid_size=0.3, ask_size=0.5)
BINANCE_BTC = Top(0.0, bid=99_990.0, ask=100_010.0, bid_size=2.0, ask_size=0.2)


def mid(q: Top) -> float:
    return (q.bid + q.ask) / 2.0


def test_the_premium_against_the_bank_and_the_tether_rate() -> None:
    cell = compute_pair("btc", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, BANK, USDT)
    assert (cell.coin, cell.korean, cell.global_) == ("BTC", "upbit", "binance")
    bank = cell.premium("bank")
    tether = cell.premium("tether")
    assert bank == pytest.approx((mid(UPBIT_BTC) / (mid(BINANCE_BTC) * BANK) - 1) * 100)
    assert tether == pytest.approx((mid(UPBIT_BTC) / (mid(BINANCE_BTC) * USDT) - 1) * 100)
    # A dearer dollar (tether above the bank rate) leaves less of a premium.
    assert bank is not None and tether is not None and bank > tether > 0


def test_both_directions_are_executable_prices_net_of_each_venues_fee() -> None:
    cell = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, BANK, USDT)
    view = cell.view("tether")
    assert view is not None and view.rate == USDT
    to_korea, to_global = view.to_korea, view.to_global
    assert to_korea is not None and to_global is not None
    # Into Korea: buy Binance's ask with its fee, sell into Upbit's bid less its fee.
    assert (to_korea.buy_venue, to_korea.sell_venue) == ("binance", "upbit")
    cost = BINANCE_BTC.ask * USDT * (1 + TAKER_FEE_PCT["binance"] / 100)
    proceeds = UPBIT_BTC.bid * (1 - TAKER_FEE_PCT["upbit"] / 100)
    assert to_korea.cost == pytest.approx(cost)
    assert to_korea.proceeds == pytest.approx(proceeds)
    assert to_korea.net_pct == pytest.approx((proceeds / cost - 1) * 100)
    # The size is what both top levels can fill: Binance's ask, Upbit's bid.
    assert to_korea.size == min(BINANCE_BTC.ask_size, UPBIT_BTC.bid_size)
    # Out of Korea: buy Upbit's ask, sell into Binance's bid; with a premium it loses.
    assert (to_global.buy_venue, to_global.sell_venue) == ("upbit", "binance")
    cost = UPBIT_BTC.ask * (1 + TAKER_FEE_PCT["upbit"] / 100)
    proceeds = BINANCE_BTC.bid * USDT * (1 - TAKER_FEE_PCT["binance"] / 100)
    assert to_global.net_pct == pytest.approx((proceeds / cost - 1) * 100)
    assert to_global.size == min(UPBIT_BTC.ask_size, BINANCE_BTC.bid_size)
    assert to_korea.net_pct > 0 > to_global.net_pct
    assert view.best is to_korea
    # Fees and the spread make the executable figure smaller than the board premium.
    premium = cell.premium("tether")
    assert premium is not None and to_korea.net_pct < premium


def test_configured_fees_and_a_transfer_cost_come_off_the_net_figure() -> None:
    fees = {**TAKER_FEE_PCT, "binance": 0.0, "upbit": 0.0}
    free = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, BANK, USDT, fees)
    paid = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, BANK, USDT)
    moved = compute_pair(
        "BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, BANK, USDT, transfer_pct=0.3
    )
    legs = [c.view("bank").to_korea for c in (free, paid, moved)]  # type: ignore[union-attr]
    assert all(leg is not None for leg in legs)
    net = [leg.net_pct for leg in legs if leg is not None]
    assert net[0] > net[1] > net[2]
    # The gross premium does not depend on fees.
    assert free.premium("bank") == paid.premium("bank") == moved.premium("bank")


def test_an_unknown_rate_gives_no_figure_for_that_rate_only() -> None:
    cell = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, None, USDT)
    assert cell.bank is None and cell.premium("bank") is None
    assert cell.premium("tether") is not None
    for bad in (math.nan, math.inf, 0.0, -1_400.0):
        cell = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", BINANCE_BTC, bad, bad)
        assert cell.bank is None and cell.tether is None


@pytest.mark.parametrize(
    "korean",
    [
        Top(0.0, bid=math.nan, ask=145_100_000.0),
        Top(0.0, bid=0.0, ask=145_100_000.0),
        Top(0.0, bid=-1.0, ask=145_100_000.0),
        Top(0.0, bid=144_900_000.0, ask=math.inf),
        Top(0.0, bid=145_200_000.0, ask=145_100_000.0),  # crossed
        Top(0.0, bid=145_100_000.0, ask=145_100_000.0),  # locked
        Top(0.0, bid=144_900_000.0, ask=145_100_000.0, bid_size=math.nan),
        Top(0.0, bid=144_900_000.0, ask=145_100_000.0, ask_size=-0.5),
    ],
    ids=["nan-bid", "zero-bid", "negative-bid", "inf-ask", "crossed", "locked", "nan-size",
         "negative-size"],
)  # fmt: skip
def test_an_impossible_book_gives_no_number_never_a_wrong_one(korean: Top) -> None:
    assert sane_top(korean) is None
    cell = compute_pair("BTC", "upbit", korean, "binance", BINANCE_BTC, BANK, USDT)
    for rate in ("bank", "tether"):
        view = cell.view(rate)  # type: ignore[arg-type]
        assert view is not None  # the rate is fine ...
        assert view.premium_pct is None and view.to_korea is None and view.to_global is None
    # ... and the same book on the global side, or as the tether book, gives nothing either.
    swapped = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", korean, BANK, USDT)
    assert swapped.premium("bank") is None and swapped.premium("tether") is None
    assert tether_rate(korean) is None
    # A Korean venue with that book drops out of the Korean spread.
    spread = korean_spread({"upbit": sane_top(korean), "bithumb": sane_top(UPBIT_BTC)})
    assert spread.routes == () and spread.best is None


def test_unknown_sizes_stay_unknown() -> None:
    no_sizes = Top(0.0, bid=99_990.0, ask=100_010.0)
    cell = compute_pair("BTC", "upbit", UPBIT_BTC, "binance", no_sizes, BANK, USDT)
    leg = cell.view("bank").to_korea  # type: ignore[union-attr]
    assert leg is not None and leg.size == 0.0 and leg.profit_krw == 0.0


def test_korean_venues_against_each_other_in_krw() -> None:
    books = {
        "upbit": sane_top(Top(0.0, bid=145_300_000.0, ask=145_400_000.0, bid_size=0.4,
                              ask_size=1.0)),
        "bithumb": sane_top(Top(0.0, bid=144_900_000.0, ask=145_000_000.0, bid_size=1.0,
                                ask_size=0.25)),
        "coinone": sane_top(Top(0.0, bid=145_050_000.0, ask=145_250_000.0, bid_size=0.1,
                                ask_size=0.1)),
    }  # fmt: skip
    spread = korean_spread(books)
    assert len(spread.routes) == 6  # every ordered pair
    best = spread.best
    assert best is not None and (best.buy_venue, best.sell_venue) == ("bithumb", "upbit")
    cost = 145_000_000.0 * (1 + TAKER_FEE_PCT["bithumb"] / 100)
    proceeds = 145_300_000.0 * (1 - TAKER_FEE_PCT["upbit"] / 100)
    assert best.net_pct == pytest.approx((proceeds / cost - 1) * 100)
    assert best.size == 0.25  # Bithumb's ask size, below Upbit's bid size
    nets = [r.net_pct for r in spread.routes]
    assert nets == sorted(nets, reverse=True)
    # Coinone's 0.2 % fee eats its 0.05 % edge over Bithumb: that route loses.
    to_coinone = next(r for r in spread.routes if r.label == "bithumb→coinone")
    assert to_coinone.net_pct < 0


def test_a_whole_row_and_the_tether_rate_of_each_venue() -> None:
    rates = Rates(BANK, {"upbit": USDT, "bithumb": 1_412.0, "coinone": None})
    assert rates.tether_premium_pct("upbit") == pytest.approx((USDT / BANK - 1) * 100)
    assert rates.tether_premium_pct("coinone") is None
    quotes = {("upbit", "BTC"): UPBIT_BTC, ("binance", "BTC"): BINANCE_BTC,
              ("okx", "BTC"): BINANCE_BTC}  # fmt: skip
    row = compute_row("BTC", quotes, rates)
    assert set(row.cells) == {(k, g) for k in KOREAN_VENUES for g in GLOBAL_VENUES}
    assert row.cell("upbit", "okx").premium("bank") == row.cell(  # type: ignore[union-attr]
        "upbit", "binance"
    ).premium("bank")  # type: ignore[union-attr]
    assert row.cell("upbit", "gateio").premium("bank") is None  # type: ignore[union-attr]
    assert row.cell("bithumb", "binance").premium("bank") is None  # type: ignore[union-attr]
    # Coinone's USDT/KRW is unknown: its tether column has nothing, its bank column would.
    assert row.cell("coinone", "binance").tether is None  # type: ignore[union-attr]
    assert [r.coin for r in compute_matrix(["btc", "eth"], quotes, rates)] == ["BTC", "ETH"]


def test_coins_on_a_korean_and_a_global_venue_without_the_dollar_coins() -> None:
    listings = {
        "upbit": ["BTC", "ETH", "USDT", "BORA"],
        "coinone": ["WEMIX", "XRP"],
        "binance": ["BTC", "XRP", "USDC", "DOGE"],
        "okx": ["eth", "USDT"],
        "elsewhere": ["DOGE"],
    }
    assert coins_listed(listings) == ["BTC", "ETH", "XRP"]


def test_each_venue_spells_its_market() -> None:
    assert [venue_symbol(v, "btc") for v in (*KOREAN_VENUES, *GLOBAL_VENUES)] == [
        "KRW-BTC", "KRW-BTC", "BTC/KRW", "BTCUSDT", "BTC-USDT", "BTC_USDT",
    ]  # fmt: skip
