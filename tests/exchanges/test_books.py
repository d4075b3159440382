"""The exchange-neutral L2 book (snapshot + deltas, wire strings kept)."""

from __future__ import annotations

import random

import orjson
import pytest

from dantaro_tui.exchanges.books import BadLevel, L2Book
from dantaro_tui.model import Level
from tests.recorded import load


def lv(price: str, size: str) -> list[str]:
    return [price, size, "0", "1"]


def prices(levels: tuple[Level, ...]) -> list[float]:
    return [x.price for x in levels]


@pytest.fixture
def book() -> L2Book:
    b = L2Book()
    b.snapshot(
        bids=[lv("100", "1"), lv("98", "3"), lv("99", "2")],  # order on the wire does not matter
        asks=[lv("102", "5"), lv("101", "4"), lv("103", "0")],  # size 0 in a snapshot: skipped
    )
    return b


def test_snapshot_sorted_best_first(book: L2Book) -> None:
    bids, asks = book.top(10)
    assert bids == (Level(100.0, 1.0), Level(99.0, 2.0), Level(98.0, 3.0))
    assert asks == (Level(101.0, 4.0), Level(102.0, 5.0))
    assert (book.best_bid(), book.best_ask()) == (100.0, 101.0)
    assert len(book) == 5
    assert not book.crossed()


def test_insert_replace_delete(book: L2Book) -> None:
    book.update(
        bids=[lv("99.5", "7"), lv("98", "0"), lv("100", "1.25")],
        asks=[lv("101", "0"), lv("101.5", "2"), lv("200", "0")],  # 200: deleting nothing is fine
    )
    bids, asks = book.top(10)
    assert bids == (Level(100.0, 1.25), Level(99.5, 7.0), Level(99.0, 2.0))
    assert asks == (Level(101.5, 2.0), Level(102.0, 5.0))
    assert book.bids.size_at(99.5) == 7.0
    assert book.bids.size_at(98.0) == 0.0
    assert book.asks.prices() == [101.5, 102.0]


def test_top_n(book: L2Book) -> None:
    bids, asks = book.top(2)
    assert prices(bids) == [100.0, 99.0] and prices(asks) == [101.0, 102.0]
    assert book.bids.top_raw(1) == [("100", "1")]
    assert book.top(0) == ((), ())


def test_wire_strings_are_kept(book: L2Book) -> None:
    book.update(bids=[lv("99.0", "2.000")], asks=[])  # same price, new spelling
    assert book.bids.top_raw(3) == [("100", "1"), ("99.0", "2.000"), ("98", "3")]
    assert prices(book.bids.top(3)) == [100.0, 99.0, 98.0]  # still one level at 99


def test_empty_sides() -> None:
    b = L2Book()
    assert b.top(5) == ((), ())
    assert b.best_bid() is None and b.best_ask() is None
    assert not b.crossed()
    b.update(bids=[lv("1", "1")], asks=[])
    assert b.best_bid() == 1.0 and b.best_ask() is None


def test_crossed_detected() -> None:
    b = L2Book()
    b.snapshot(bids=[lv("10", "1")], asks=[lv("11", "1")])
    b.update(bids=[lv("11", "1")], asks=[])
    assert b.crossed()


def test_snapshot_replaces(book: L2Book) -> None:
    book.snapshot(bids=[lv("50", "1")], asks=[lv("60", "1")])
    assert book.top(10) == ((Level(50.0, 1.0),), (Level(60.0, 1.0),))
    book.clear()
    assert len(book) == 0


@pytest.mark.parametrize(
    "bad",
    [
        [lv("99.5", "7"), lv("98", "lots")],
        [lv("99.5", "7"), ["98"]],
        [lv("99.5", "7"), lv("98", "-1")],
        [lv("99.5", "7"), lv("nan", "1")],
        [lv("99.5", "7"), [None, "1"]],
        [lv("99.5", "7"), lv("-98", "1")],
        [lv("99.5", "7"), lv("0", "1")],
        [lv("99.5", "7"), lv("inf", "1")],
        [lv("99.5", "7"), lv("1e400", "1")],
        [lv("99.5", "7"), lv("98", "Infinity")],
        [lv("99.5", "7"), lv("98", "NaN")],
    ],
)
def test_bad_update_leaves_book_untouched(book: L2Book, bad: list) -> None:
    before = book.top(10), book.bids.top_raw(10), book.asks.top_raw(10)
    with pytest.raises((ValueError, IndexError, TypeError)):
        book.update(bids=bad, asks=[lv("101", "0")])
    assert (book.top(10), book.bids.top_raw(10), book.asks.top_raw(10)) == before


def test_matches_a_sorted_dict_on_random_updates() -> None:
    rng = random.Random(7)
    b = L2Book()
    ref_bids: dict[float, float] = {}
    ref_asks: dict[float, float] = {}
    for _ in range(3000):
        bids, asks = [], []
        for _ in range(rng.randint(0, 8)):
            p = round(rng.uniform(90, 100), 1)
            s = rng.choice(["0", "1", "2.5", "0.001"])
            bids.append(lv(repr(p), s))
            if float(s):
                ref_bids[p] = float(s)
            else:
                ref_bids.pop(p, None)
        for _ in range(rng.randint(0, 8)):
            p = round(rng.uniform(100.1, 110), 1)
            s = rng.choice(["0", "3", "0.5"])
            asks.append(lv(repr(p), s))
            if float(s):
                ref_asks[p] = float(s)
            else:
                ref_asks.pop(p, None)
        b.update(bids, asks)
        top_bids, top_asks = b.top(20)
        assert [(x.price, x.size) for x in top_bids] == [
            (p, ref_bids[p]) for p in sorted(ref_bids, reverse=True)[:20]
        ]
        assert [(x.price, x.size) for x in top_asks] == [
            (p, ref_asks[p]) for p in sorted(ref_asks)[:20]
        ]
    assert len(b) == len(ref_bids) + len(ref_asks)


def test_real_okx_updates_never_cross() -> None:
    books: dict[str, L2Book] = {}
    applied = 0
    for _, frame in load("okx_ws.txt").received:
        msg = orjson.loads(frame)
        if msg.get("arg", {}).get("channel") != "books" or "data" not in msg:
            continue
        inst, d = msg["arg"]["instId"], msg["data"][0]
        if msg["action"] == "snapshot":
            books[inst] = L2Book()
            books[inst].snapshot(d["bids"], d["asks"])
        else:
            books[inst].update(d["bids"], d["asks"])
            applied += 1
        book = books[inst]
        assert not book.crossed()
        assert len(book.bids) <= 400 and len(book.asks) <= 400
        raw_bids = book.bids.top_raw(400)
        assert [float(p) for p, _ in raw_bids] == book.bids.prices()
    assert applied == 287
    assert set(books) == {"BTC-USDT", "BTC-USD-220527", "UNI-USD-SWAP"}


def test_impossible_level_is_named() -> None:
    b = L2Book()
    with pytest.raises(BadLevel, match="a bid at -1 whose price is not above zero"):
        b.snapshot(bids=[lv("-1", "1")], asks=[])
    with pytest.raises(BadLevel, match="an ask at 100 whose size NaN is not a finite number"):
        b.update(bids=[], asks=[lv("100", "NaN")])
    with pytest.raises(BadLevel, match="an ask at infinity"):
        b.update(bids=[], asks=[lv("Infinity", "1")])
    assert len(b) == 0
