"""The kimchi premium matrix: every Korean venue against every global venue. Pure math.

For a coin listed in KRW on a Korean venue (Upbit, Bithumb, Coinone) and in USDT on a
global one (Binance, OKX, Gate.io), against each of two reference rates:

* the **bank rate**: USD/KRW from a bank or FX source (the headline "kimchi premium"),
* the **tether rate**: USDT/KRW on that Korean venue (``KRW-USDT``; ``USDT/KRW`` on
  Coinone), which is what a trader who moves money as USDT actually pays.

Per (Korean venue, global venue, rate):

* **premium** (gross) ``korean_mid / (global_mid x rate) - 1``: the board figure, from the
  mid of each venue's best bid and ask (both books must be sane);
* **to Korea**, buy on the global venue at its best ask plus its taker fee, sell on the
  Korean venue at its best bid minus its fee; **to global**, the reverse. Each is an
  :class:`~.arbitrage.Opportunity` in KRW per coin, with the size available at both top
  levels. These are the executable figures; they are net of taking fees only.

Korean venues against each other (KRW, no rate): every ordered pair's net spread, the best
one first. Transfer (withdrawal) fees and times are **not** in any net figure unless a
``transfer_pct`` is given, which is taken off the selling leg's proceeds as a flat cost.

An impossible input gives no number: a price that is NaN, infinite, zero or negative, a
crossed or locked book (bid >= ask), a NaN or negative size, or a rate that is not a
positive finite number makes the figures that depend on it ``None``, never a wrong value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dantaro_tui.analytics.arbitrage import Opportunity, TopOfBook, global_symbol, net_spread
from dantaro_tui.analytics.premium_venues import GLOBAL_VENUES as GLOBAL_VENUES
from dantaro_tui.analytics.premium_venues import KOREAN_VENUES as KOREAN_VENUES
from dantaro_tui.analytics.premium_venues import TAKER_FEE_PCT as TAKER_FEE_PCT
from dantaro_tui.analytics.premium_venues import VENUES as VENUES

TETHER = "USDT"
# Dollar coins have no kimchi premium of their own: USDT's is the tether rate itself.
STABLES = frozenset({"USDT", "USDC", "DAI", "FDUSD", "TUSD", "BUSD", "USDS", "USDE", "PYUSD"})

Rate = Literal["bank", "tether"]
RATES: tuple[Rate, ...] = ("bank", "tether")


def korean_symbol(venue: str, coin: str) -> str:
    """``coin``'s KRW market as ``venue`` writes it (``KRW-BTC``; Coinone ``BTC/KRW``)."""
    coin = coin.upper()
    return f"{coin}/KRW" if venue == "coinone" else f"KRW-{coin}"


def venue_symbol(venue: str, coin: str) -> str:
    """``coin``'s KRW market on a Korean venue, its USDT market on a global one."""
    return korean_symbol(venue, coin) if venue in KOREAN_VENUES else global_symbol(venue, coin)


def tether_symbol(venue: str) -> str:
    return korean_symbol(venue, TETHER)


def _finite_pos(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0.0


@dataclass(frozen=True, slots=True)
class Book:
    """A top of book that passed :func:`sane_top`: sizes 0.0 = not known."""

    bid: float
    ask: float
    bid_size: float = 0.0
    ask_size: float = 0.0

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


def sane_top(q: TopOfBook | None) -> Book | None:
    """The quote's best bid and ask when they can be believed, else None."""
    if q is None:
        return None
    bid, ask, bsz, asz = q.bid, q.ask, q.bid_size, q.ask_size
    if not (_finite_pos(bid) and _finite_pos(ask)) or bid >= ask:
        return None
    if not (math.isfinite(bsz) and math.isfinite(asz)) or bsz < 0.0 or asz < 0.0:
        return None
    return Book(bid, ask, bsz, asz)


def tether_rate(q: TopOfBook | None) -> float | None:
    """USDT/KRW from a Korean venue's ``KRW-USDT`` book: its mid, or None."""
    book = sane_top(q)
    return None if book is None else book.mid


def valid_rate(rate: float | None) -> float | None:
    return rate if rate is not None and _finite_pos(rate) else None


@dataclass(frozen=True, slots=True)
class RateView:
    """One (Korean venue, global venue) pair of one coin against one reference rate."""

    rate: float  # KRW per USD(T)
    premium_pct: float | None  # gross, mid against mid
    to_korea: Opportunity | None  # buy on the global venue, sell on the Korean one
    to_global: Opportunity | None  # buy on the Korean venue, sell on the global one

    @property
    def best(self) -> Opportunity | None:
        legs = [o for o in (self.to_korea, self.to_global) if o is not None]
        return max(legs, key=lambda o: o.net_pct) if legs else None


@dataclass(frozen=True, slots=True)
class PairCell:
    coin: str
    korean: str
    global_: str
    bank: RateView | None  # None: the bank rate is not known
    tether: RateView | None  # None: the Korean venue's USDT/KRW is not known

    def view(self, rate: Rate) -> RateView | None:
        return self.bank if rate == "bank" else self.tether

    def premium(self, rate: Rate) -> float | None:
        view = self.view(rate)
        return None if view is None else view.premium_pct


def rate_view(
    korean: str,
    kr: Book | None,
    global_: str,
    gl: Book | None,
    rate: float,
    fees: Mapping[str, float],
    transfer_pct: float = 0.0,
) -> RateView:
    """``rate`` must be valid; a missing book gives a view without figures."""
    if kr is None or gl is None:
        return RateView(rate, None, None, None)
    premium = (kr.mid / (gl.mid * rate) - 1.0) * 100.0
    fee_k, fee_g = fees[korean], fees[global_]
    to_korea = net_spread(
        global_, gl.ask * rate, gl.ask_size, fee_g,
        korean, kr.bid, kr.bid_size, fee_k + transfer_pct,
    )  # fmt: skip
    to_global = net_spread(
        korean, kr.ask, kr.ask_size, fee_k,
        global_, gl.bid * rate, gl.bid_size, fee_g + transfer_pct,
    )  # fmt: skip
    return RateView(rate, premium, to_korea, to_global)


def compute_pair(
    coin: str,
    korean: str,
    kq: TopOfBook | None,
    global_: str,
    gq: TopOfBook | None,
    bank_rate: float | None,
    usdt_krw: float | None,
    fees: Mapping[str, float] = TAKER_FEE_PCT,
    transfer_pct: float = 0.0,
) -> PairCell:
    """One coin, one Korean venue against one global venue, against both rates."""
    kr, gl = sane_top(kq), sane_top(gq)
    views: list[RateView | None] = []
    for rate in (valid_rate(bank_rate), valid_rate(usdt_krw)):
        views.append(
            None if rate is None else rate_view(korean, kr, global_, gl, rate, fees, transfer_pct)
        )
    return PairCell(coin.upper(), korean, global_, views[0], views[1])


@dataclass(frozen=True, slots=True)
class KoreanSpread:
    """Korean venues against each other in KRW: every ordered pair with both books, the
    best net spread first."""

    routes: tuple[Opportunity, ...] = ()

    @property
    def best(self) -> Opportunity | None:
        return self.routes[0] if self.routes else None


def korean_spread(
    books: Mapping[str, Book | None],
    fees: Mapping[str, float] = TAKER_FEE_PCT,
    transfer_pct: float = 0.0,
) -> KoreanSpread:
    """``books``: each Korean venue's sane top of book of one coin (None = unknown)."""
    have = [(v, b) for v, b in books.items() if v in KOREAN_VENUES and b is not None]
    routes: list[Opportunity] = []
    for buy, bb in have:
        for sell, sb in have:
            if buy == sell:
                continue
            route = net_spread(
                buy, bb.ask, bb.ask_size, fees[buy],
                sell, sb.bid, sb.bid_size, fees[sell] + transfer_pct,
            )  # fmt: skip
            if route is not None:
                routes.append(route)
    routes.sort(key=lambda o: (-o.net_pct, o.buy_venue, o.sell_venue))
    return KoreanSpread(tuple(routes))


@dataclass(frozen=True, slots=True)
class MatrixRow:
    coin: str
    cells: dict[tuple[str, str], PairCell] = field(default_factory=dict)
    korean: KoreanSpread = field(default_factory=KoreanSpread)

    def cell(self, korean: str, global_: str) -> PairCell | None:
        return self.cells.get((korean, global_))


@dataclass(frozen=True, slots=True)
class Rates:
    """The reference rates of one moment: the bank rate and each Korean venue's tether
    rate (None = not known or not believable)."""

    bank: float | None
    tether: Mapping[str, float | None]

    def usdt_krw(self, korean: str) -> float | None:
        return valid_rate(self.tether.get(korean))

    def tether_premium_pct(self, korean: str) -> float | None:
        """How far the venue's USDT/KRW sits above the bank rate, %."""
        bank, usdt = valid_rate(self.bank), self.usdt_krw(korean)
        return None if bank is None or usdt is None else (usdt / bank - 1.0) * 100.0


def compute_row(
    coin: str,
    quotes: Mapping[tuple[str, str], TopOfBook],
    rates: Rates,
    fees: Mapping[str, float] = TAKER_FEE_PCT,
    transfer_pct: float = 0.0,
    koreans: Sequence[str] = KOREAN_VENUES,
    globals_: Sequence[str] = GLOBAL_VENUES,
) -> MatrixRow:
    """``quotes`` maps (venue, coin) to that venue's quote of the coin (KRW on a Korean
    venue, USDT on a global one); a pair not in it has no figures."""
    coin = coin.upper()
    cells = {
        (k, g): compute_pair(
            coin, k, quotes.get((k, coin)), g, quotes.get((g, coin)),
            rates.bank, rates.usdt_krw(k), fees, transfer_pct,
        )
        for k in koreans
        for g in globals_
    }  # fmt: skip
    books = {k: sane_top(quotes.get((k, coin))) for k in koreans}
    return MatrixRow(coin, cells, korean_spread(books, fees, transfer_pct))


def compute_matrix(
    coins: Iterable[str],
    quotes: Mapping[tuple[str, str], TopOfBook],
    rates: Rates,
    fees: Mapping[str, float] = TAKER_FEE_PCT,
    transfer_pct: float = 0.0,
) -> list[MatrixRow]:
    return [compute_row(c, quotes, rates, fees, transfer_pct) for c in coins]


def coins_listed(listings: Mapping[str, Iterable[str]]) -> list[str]:
    """Coins (bases) listed on at least one Korean and one global venue, A to Z, dollar
    coins left out. ``listings``: venue -> the coins it lists in KRW (Korean) or USDT."""
    korean: set[str] = set()
    global_: set[str] = set()
    for venue, coins in listings.items():
        target = korean if venue in KOREAN_VENUES else global_ if venue in GLOBAL_VENUES else None
        if target is not None:
            target.update(c.upper() for c in coins)
    return sorted((korean & global_) - STABLES)
