"""Command palette providers: markets by code, English name or Korean name.

Ranking (higher first), so that what a trader types lands on the market they mean:

1. the exact code (``KRW-BTC``), then the exact base (``btc`` -> ``KRW-BTC``), with the
   KRW market before the BTC and USDT ones;
2. exact English or Korean name (``bitcoin``, ``비트코인``);
3. a code, base or name that starts with the query (``bt``, ``Bit``, ``비트``);
4. a word of the English name that starts with the query (``cash`` -> Bitcoin Cash);
5. the query anywhere in a code or name (``코인`` finds every "…코인").

Korean is matched on whole syllables (``비트`` finds 비트코인, 비트코인캐시, 비트토렌트…) and on
initial consonants, as Korean traders type them: ``ㅂㅌ`` finds 비트코인, ``ㅇㄷㄹㅇ``
이더리움 (a query of initial consonants only is compared with the name's, ``ㅂㅌㅋ`` is the
start of 비트코인's ``ㅂㅌㅋㅇ``). A code the list does not know (``KRW-NEWCOIN``) is offered
last, so a market listed after startup can be opened; a bad code then says so in the chart.

Other venues: ``binance:btc`` (or ``gateio:``, ``okx:`` ...) searches that exchange's list
(loaded the first time it is asked for); without a prefix, the home venue's markets come
first and the markets of venues already loaded follow, each labelled with its venue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from dantaro_tui.config import DEFAULT_SYMBOLS
from dantaro_tui.exchanges import exchanges
from dantaro_tui.model import Market
from dantaro_tui.ui.host import HasMarkets, HasVenueMarkets, MarketOpener
from dantaro_tui.venues import SEP, join_ref, venue_name

# The palette hides the cockpit instead of dimming it. Textual draws a translucent modal's
# backdrop by re-tinting every segment of the screen below on every frame, and the live
# cockpit repaints 10-20 times a second: that tint made ctrl+p take 250-370 ms (p50/p95) to
# show the palette under the demo load, 55/100 ms without it (benchmarks/bench_palette.py).
PALETTE_CSS = """
CommandPalette { background: $background; }
"""

QUOTE_BONUS = {"KRW": 0.03, "BTC": 0.02, "USDT": 0.01}
_CODE = re.compile(r"^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$")
_VENUE_CODE = re.compile(r"^[A-Z0-9]{2,12}[-_]?[A-Z0-9]{2,12}$")
_WORDS = re.compile(r"[\s\-_.()]+")

# The 19 initial consonants (choseong) in Unicode order: syllable (code - 0xAC00) // 588.
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_CHOSEONG_SET = frozenset(CHOSEONG)


@lru_cache(maxsize=8192)
def choseong(text: str) -> str:
    """The initial consonant of every Hangul syllable (``비트코인`` -> ``ㅂㅌㅋㅇ``); other
    characters are kept as they are (spaces dropped)."""
    out = []
    for ch in text:
        code = ord(ch)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            out.append(CHOSEONG[(code - _HANGUL_FIRST) // 588])
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def is_choseong_query(query: str) -> bool:
    """True for a query of initial consonants only (``ㅂㅌ``), spaces allowed."""
    letters = [ch for ch in query if not ch.isspace()]
    return bool(letters) and all(ch in _CHOSEONG_SET for ch in letters)


def market_score(market: Market, query: str) -> float:
    """0 when ``market`` does not match ``query``, else a score in (0, 1]."""
    q = query.strip()
    if not q:
        return 0.0
    qu = q.upper()
    ql = q.casefold()
    code = market.symbol.upper()
    base = market.base.upper()
    ko = market.korean_name
    en = market.english_name.casefold()
    bonus = QUOTE_BONUS.get(market.quote.upper(), 0.0)
    if qu == code:
        return 1.0
    if qu == base:
        return 0.9 + bonus
    if (ko and q == ko) or (en and ql == en):
        return 0.85 + bonus
    best = 0.0
    if base.startswith(qu) or code.startswith(qu):
        # a shorter remainder is a closer match: "BT" is nearer BTT than BTCB
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(base) - len(qu))))
    if ko and ko.startswith(q):
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(ko) - len(q))))
    if en and en.startswith(ql):
        best = max(best, 0.68 + bonus - min(0.05, 0.002 * (len(en) - len(ql))))
    if best:
        return best
    if en and any(word.startswith(ql) for word in _WORDS.split(en)):
        return 0.6 + bonus
    if ko and q in ko:
        return 0.5 + bonus
    if ko and is_choseong_query(q):
        initials = choseong(ko)
        wanted = q.replace(" ", "")
        if initials == wanted:
            return 0.8 + bonus
        if initials.startswith(wanted):
            return 0.65 + bonus - min(0.05, 0.005 * (len(initials) - len(wanted)))
        if wanted in initials:
            return 0.4 + bonus
        return 0.0
    if qu in code or (en and ql in en):
        return 0.45 + bonus
    compact = qu.replace("-", "").replace("/", "").replace(" ", "")
    if compact and compact in (code.replace("-", ""), base + market.quote.upper()):
        return 0.95 + bonus  # "krwbtc", "BTC/KRW", "btckrw"
    return 0.0


def search_markets(markets: Iterable[Market], query: str, limit: int = 50) -> list[Market]:
    """The matching markets, best first (ties: KRW first, then by code)."""
    scored = [(market_score(m, query), m) for m in markets]
    scored = [(s, m) for s, m in scored if s > 0]
    scored.sort(key=lambda sm: (-sm[0], sm[1].symbol))
    return [m for _, m in scored[:limit]]


def looks_like_code(query: str) -> str | None:
    code = query.strip().upper()
    return code if _CODE.match(code) else None


def venue_code(query: str) -> str | None:
    """A code as another venue may spell it (``BTCUSDT``, ``BTC_USDT``, ``BTC-USDT``)."""
    code = query.strip().upper()
    return code if _VENUE_CODE.match(code) else None


def describe(market: Market, home: str = "upbit") -> Text:
    text = Text()
    if market.exchange != home:
        text.append(f"{venue_name(market.exchange)} ", style=Style(dim=True))
    text.append(market.symbol, style=Style(bold=True))
    names = [n for n in (market.korean_name, market.english_name) if n]
    if names:
        text.append("  " + " · ".join(names))
    if market.warning:
        text.append("  ⚠ caution", style=Style(color="yellow"))
    return text


def market_palette() -> CommandPalette:
    """The market search: "s" in the cockpit, "Open market" in the command list."""
    return CommandPalette(
        providers=[MarketsProvider],
        placeholder="Market: code (btc, KRW-BTC), English or Korean name (비트)…",
    )


def _markets_of(app: object) -> list[Market]:
    markets = app.markets if isinstance(app, HasMarkets) else None
    if markets:
        return list(markets.values())
    return [Market("upbit", s, s.split("-", 1)[1], s.split("-", 1)[0]) for s in DEFAULT_SYMBOLS]


def _home(app: object) -> str:
    return app.home_exchange if isinstance(app, HasVenueMarkets) else "upbit"


def _venue_query(app: object, query: str) -> tuple[str | None, str]:
    """``binance:btc`` -> ("binance", "btc"); no known venue prefix -> (None, query)."""
    head, sep, rest = query.partition(SEP)
    venue = head.strip().lower()
    if sep and venue in exchanges():
        return venue, rest
    return None, query


def _other_venues(app: object) -> list[Market]:
    """Markets of venues already loaded besides the home one (no load is started here)."""
    if not isinstance(app, HasVenueMarkets):
        return []
    return [m for ms in app.loaded_venue_markets().values() for m in ms.values()]


def _opener(app: Any) -> Callable[[str], object]:
    if isinstance(app, MarketOpener):
        return app.open_market
    return lambda symbol: app.notify(f"cannot open {symbol} here")


class MarketsProvider(Provider):
    """Markets by code, English and Korean name; choosing one opens it in the focused pane
    (and its link group)."""

    async def discover(self) -> Hits:
        markets = {m.symbol: m for m in _markets_of(self.app)}
        opener = _opener(self.app)
        for symbol in DEFAULT_SYMBOLS:
            market = markets.get(symbol)
            if market is None:
                continue
            yield DiscoveryHit(
                describe(market),
                partial(opener, symbol),
                text=symbol,
                help="Open in the focused pane",
            )

    async def search(self, query: str) -> Hits:
        app = self.app
        home = _home(app)
        opener = _opener(app)
        venue, query = _venue_query(app, query)
        if venue is not None and isinstance(app, HasVenueMarkets):
            markets = list(app.venue_markets(venue).values())  # starts the load if needed
        else:
            markets = _markets_of(app) + _other_venues(app)
        found = search_markets(markets, query, limit=40)
        for market in found:
            ref = join_ref(market.exchange, market.symbol, home)
            # Another venue's market ranks below the home venue's same coin.
            penalty = 0.0 if venue is not None or market.exchange == home else 0.1
            yield Hit(
                max(0.01, market_score(market, query) - penalty),
                describe(market, home),
                partial(opener, ref),
                text=f"{ref} {market.korean_name} {market.english_name}",
                help="Open in the focused pane (and its link group)",
            )
        code = looks_like_code(query) if venue is None else venue_code(query)
        if code and all(m.symbol != code for m in found):
            ref = code if venue is None else join_ref(venue, code, home)
            yield Hit(
                0.05,
                Text(f"Open {ref} (not in the market list)"),
                partial(opener, ref),
                text=f"Open {ref}",
                help="The exchange will say whether it exists",
            )
