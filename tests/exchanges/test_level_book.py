"""The Level book Binance and Gate.io keep: the view a codec shows must always be the true
top of the book, its total the true sum, and an impossible level must never get in."""

from __future__ import annotations

import math
import random

import pytest

from dantaro_tui.exchanges.books import BadLevel, LevelBook, levels_from_raw
from dantaro_tui.model import Level


def lv(price: float, size: float) -> Level:
    return Level(price, size)


def ref_top(side: dict[float, float], n: int, bids: bool) -> tuple[Level, ...]:
    prices = sorted(side, reverse=bids)[:n]
    return tuple(Level(p, side[p]) for p in prices)


def test_snapshot_in_any_order_is_shown_best_first() -> None:
    book = LevelBook(depth=2)
    book.snapshot(
        bids=[lv(99, 2), lv(100, 1), lv(98, 3), lv(97, 0)],  # size 0: not a level
        asks=[lv(102, 5), lv(101, 4), lv(103, 6)],
    )
    assert book.bids.view == (lv(100, 1), lv(99, 2))
    assert book.asks.view == (lv(101, 4), lv(102, 5))
    assert (book.bids.total, book.asks.total) == (3.0, 9.0)
    assert book.top(10) == (
        (lv(100, 1), lv(99, 2), lv(98, 3)),
        (lv(101, 4), lv(102, 5), lv(103, 6)),
    )
    assert (book.best_bid(), book.best_ask(), len(book)) == (100.0, 101.0, 6)


def test_a_price_sent_twice_in_a_snapshot_is_one_level_the_last_one() -> None:
    book = LevelBook(depth=5)
    book.snapshot(bids=[lv(100, 1), lv(99, 2), lv(100, 7)], asks=[])
    assert book.bids.view == (lv(100, 7), lv(99, 2))


@pytest.mark.parametrize("depth", [1, 3, 30, 1000])
def test_random_deltas_keep_view_and_total_equal_to_the_book(depth: int) -> None:
    rng = random.Random(depth)
    bids = {100.0 - i * 0.5: float(rng.randint(1, 9)) for i in range(1, 60)}
    asks = {100.0 + i * 0.5: float(rng.randint(1, 9)) for i in range(0, 60)}
    book = LevelBook(depth=depth)
    book.snapshot([lv(p, s) for p, s in bids.items()], [lv(p, s) for p, s in asks.items()])
    for step in range(3000):
        changes: dict[str, list[Level]] = {"b": [], "a": []}
        for _ in range(rng.randint(0, 6)):
            key, side, sign = ("b", bids, -1) if rng.random() < 0.5 else ("a", asks, 1)
            best = max(bids) if key == "b" else min(asks)
            price = best + sign * 0.5 * int(rng.expovariate(1 / 8))
            if (key == "b" and price >= min(asks)) or (key == "a" and price <= max(bids)):
                continue  # keep the book uncrossed
            if price <= 1.0 or price in (c.price for c in changes[key]):
                continue  # a real book (and one change per price and delta)
            if rng.random() < 0.3 and len(side) > 5:
                side.pop(price, None)
                changes[key].append(lv(price, 0.0))  # also deletes of absent levels
            else:
                side[price] = round(rng.uniform(0.001, 10_000), 3)
                changes[key].append(lv(price, side[price]))
        before = (book.bids.view, book.asks.view)
        changed = book.update(changes["b"], changes["a"])
        want_b, want_a = ref_top(bids, depth, True), ref_top(asks, depth, False)
        assert book.bids.view == want_b and book.asks.view == want_a, step
        assert book.bids.total == pytest.approx(sum(x.size for x in want_b), rel=1e-12)
        assert book.asks.total == pytest.approx(sum(x.size for x in want_a), rel=1e-12)
        # "Nothing shown changed" is only ever said when it is true.
        assert changed & 1 or book.bids.view == before[0]
        assert changed & 2 or book.asks.view == before[1]
        assert not book.crossed()
    assert book.top(10_000) == (ref_top(bids, 10_000, True), ref_top(asks, 10_000, False))


def test_total_stays_exact_when_a_huge_size_is_replaced_in_place() -> None:
    # Adding the change in place would cancel digits: 1e15 + 0.3 - 1e15 is not 0.3.
    book = LevelBook(depth=3)
    book.snapshot([lv(100, 0.1), lv(99, 0.2), lv(98, 0.3)], [lv(101, 1.0)])
    book.update([lv(100, 1e15)], [])
    assert book.bids.total == pytest.approx(1e15 + 0.5)
    book.update([lv(100, 0.1)], [])
    assert book.bids.total == pytest.approx(0.6, rel=1e-12)
    for i in range(100):  # many small in-place changes: no drift, never negative
        book.update([lv(99, 1e-8 * (i + 1))], [])
        assert book.bids.total == pytest.approx(0.4 + 1e-8 * (i + 1), rel=1e-12)


@pytest.mark.parametrize(
    ("bids", "asks", "words"),
    [
        ([lv(math.nan, 1)], [], "a bid at NaN whose price is not a finite number"),
        ([], [lv(math.inf, 1)], "an ask at infinity whose price is not a finite number"),
        ([lv(-1, 1)], [], "a bid at -1 whose price is not above zero"),
        ([lv(0, 1)], [], "a bid at 0 whose price is not above zero"),
        ([], [lv(101, -2)], "an ask at 101 whose size -2 is negative"),
        ([lv(99, math.nan)], [], "a bid at 99 whose size NaN is not a finite number"),
    ],
)
def test_an_impossible_level_is_refused_and_leaves_the_book_as_it_was(
    bids: list[Level], asks: list[Level], words: str
) -> None:
    book = LevelBook(depth=5)
    book.snapshot([lv(100, 1), lv(98, 1)], [lv(101, 1), lv(103, 1)])
    before = (book.top(10), book.bids.total, book.asks.total)
    with pytest.raises(BadLevel, match=words):
        book.update([lv(99, 5), *bids], [lv(102, 5), *asks])  # good levels first
    assert (book.top(10), book.bids.total, book.asks.total) == before
    fresh = LevelBook(depth=5)
    with pytest.raises(BadLevel, match=words):
        fresh.snapshot([lv(100, 1), *bids] * 20, [lv(101, 1), *asks] * 20)
    assert fresh.top(10) == ((), ())


def test_a_snapshot_of_huge_but_possible_sizes_is_accepted() -> None:
    # Their sum overflows to infinity, which alone must not make a level "impossible";
    # the codec refuses the infinite total of the event it would build.
    book = LevelBook(depth=5)
    book.snapshot([lv(100 - i, 1e308) for i in range(20)], [lv(101, 1)])
    assert len(book.bids) == 20 and book.bids.total == math.inf


def test_a_crossed_book_is_seen() -> None:
    book = LevelBook(depth=5)
    book.snapshot([lv(100, 1)], [lv(101, 1)])
    book.update([lv(101, 1)], [])
    assert book.crossed()
    book.update([lv(101, 0)], [lv(100.5, 1)])
    assert not book.crossed()


def test_wire_pairs_read_as_levels() -> None:
    assert levels_from_raw([["0.35210000", "672.00000000"], ["1", "2", "7"]]) == [
        lv(0.3521, 672.0),
        lv(1.0, 2.0),  # extra fields (order counts) are not part of a level
    ]
    assert levels_from_raw([["1e400", "1"]])[0].price == math.inf  # the book refuses it
    for bad in ([["abc", "1"]], [["1"]], [[None, "1"]]):
        with pytest.raises((ValueError, IndexError, TypeError)):
            levels_from_raw(bad)
