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

The ranking and the index that keeps a keystroke cheap with six venues' lists loaded are in
``search_index.py``; they are re-exported here for the callers that know them by this name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from dantaro_tui.config import DEFAULT_SYMBOLS
from dantaro_tui.exchanges import exchanges
from dantaro_tui.model import Market
from dantaro_tui.ui.host import HasMarkets, HasVenueMarkets, MarketOpener
from dantaro_tui.ui.search_index import IndexCache, MarketIndex, search_indexes
from dantaro_tui.ui.search_index import choseong as choseong
from dantaro_tui.ui.search_index import is_choseong_query as is_choseong_query
from dantaro_tui.ui.search_index import market_score as market_score
from dantaro_tui.ui.search_index import search_markets as search_markets
from dantaro_tui.venues import SEP, join_ref, venue_name

# The palette hides the cockpit instead of dimming it. Textual draws a translucent modal's
# backdrop by re-tinting every segment of the screen below on every frame, and the live
# cockpit repaints 10-20 times a second: that tint made ctrl+p take 250-370 ms (p50/p95) to
# show the palette under the demo load, 55/100 ms without it (benchmarks/bench_palette.py).
PALETTE_CSS = """
CommandPalette { background: $background; }
"""

_CODE = re.compile(r"^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$")
_VENUE_CODE = re.compile(r"^[A-Z0-9]{2,12}[-_]?[A-Z0-9]{2,12}$")

# Each market list's search index, built once per loaded list (not once per keystroke).
_INDEXES = IndexCache()


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


# The market list before the exchange's has loaded (offline start, slow network).
_DEFAULT_MARKETS: Mapping[str, Market] = {
    s: Market("upbit", s, s.split("-", 1)[1], s.split("-", 1)[0]) for s in DEFAULT_SYMBOLS
}


def _home_markets(app: object) -> Mapping[str, Market]:
    markets = app.markets if isinstance(app, HasMarkets) else None
    return markets or _DEFAULT_MARKETS


def _home(app: object) -> str:
    return app.home_exchange if isinstance(app, HasVenueMarkets) else "upbit"


def _venue_query(app: object, query: str) -> tuple[str | None, str]:
    """``binance:btc`` -> ("binance", "btc"); no known venue prefix -> (None, query)."""
    head, sep, rest = query.partition(SEP)
    venue = head.strip().lower()
    if sep and venue in exchanges():
        return venue, rest
    return None, query


def _market_lists(app: object) -> list[Mapping[str, Market]]:
    """The home venue's list, then those of the venues already loaded (no load is started
    here)."""
    lists = [_home_markets(app)]
    if isinstance(app, HasVenueMarkets):
        lists += app.loaded_venue_markets().values()
    return lists


def _opener(app: Any) -> Callable[[str], object]:
    if isinstance(app, MarketOpener):
        return app.open_market
    return lambda symbol: app.notify(f"cannot open {symbol} here")


class MarketsProvider(Provider):
    """Markets by code, English and Korean name; choosing one opens it in the focused pane
    (and its link group)."""

    async def startup(self) -> None:
        # Index the lists while the palette opens, before the first keystroke needs them.
        for markets in _market_lists(self.app):
            _INDEXES.index(markets)

    async def discover(self) -> Hits:
        markets = _home_markets(self.app)
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
            lists = [app.venue_markets(venue)]  # starts the load if needed
        else:
            lists = _market_lists(app)
        indexes: list[MarketIndex] = [_INDEXES.index(markets) for markets in lists]
        found = search_indexes(indexes, query, limit=40)
        for score, market in found:
            ref = join_ref(market.exchange, market.symbol, home)
            # Another venue's market ranks below the home venue's same coin.
            penalty = 0.0 if venue is not None or market.exchange == home else 0.1
            yield Hit(
                max(0.01, score - penalty),
                describe(market, home),
                partial(opener, ref),
                text=f"{ref} {market.korean_name} {market.english_name}",
                help="Open in the focused pane (and its link group)",
            )
        code = looks_like_code(query) if venue is None else venue_code(query)
        if code and all(m.symbol != code for _, m in found):
            ref = code if venue is None else join_ref(venue, code, home)
            yield Hit(
                0.05,
                Text(f"Open {ref} (not in the market list)"),
                partial(opener, ref),
                text=f"Open {ref}",
                help="The exchange will say whether it exists",
            )
