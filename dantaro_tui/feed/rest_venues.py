"""RestClient: the market-data calls a monitor needs, the same for every exchange.

``RestClient("upbit")`` / ``RestClient("okx")`` pick the venue's adapter; each adapter only
says which path to GET and which codec parser reads the body, so HTTP concerns stay in
``HttpClient`` and wire formats stay in the codec modules.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, ClassVar, TypeVar

from dantaro_tui.exchanges import (
    binance_rest,
    bithumb_rest,
    coinone_rest,
    gateio_rest,
    okx_rest,
    upbit_rest,
)
from dantaro_tui.exchanges.base import RateLimit, RestRequest
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import HttpClient, RestError
from dantaro_tui.model import Candle, Market, OrderBook, Ticker, Trade

T = TypeVar("T")

UPBIT_BATCH = 100  # codes per /v1/ticker call: keeps URLs short, one bad code fails one batch


class RestClient:
    exchange: ClassVar[str] = ""
    group_limit: ClassVar[RateLimit] = RateLimit(10, 1.0)
    _venues: ClassVar[dict[str, type[RestClient]]] = {}

    @staticmethod
    def venues() -> list[str]:
        """Exchanges with a REST adapter (what the cockpit can run on)."""
        return sorted(RestClient._venues)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        RestClient._venues[cls.exchange] = cls

    def __new__(cls, exchange: str = "upbit", rest_url: str | None = None, **kw: Any) -> RestClient:
        venue: type[RestClient] = cls
        if cls is RestClient:
            try:
                venue = RestClient._venues[exchange.lower()]
            except KeyError:
                raise ValueError(f"no REST support for exchange {exchange!r}") from None
        return super().__new__(venue)

    def __init__(
        self,
        exchange: str = "upbit",
        rest_url: str | None = None,
        *,
        timeout: float = 10.0,
        hub: FeedHub | None = None,
    ) -> None:
        self.http = HttpClient(
            self.exchange, rest_url, group_limit=self.group_limit, timeout=timeout, hub=hub
        )

    async def _call(
        self, group: str, request: tuple[str, Any], parse: Callable[[bytes], T], what: str
    ) -> T:
        path, params = request
        body = await self.http.get(group, path, params)
        try:
            return parse(body)
        except (
            upbit_rest.UpbitApiError,
            okx_rest.OkxApiError,
            binance_rest.BinanceApiError,
            gateio_rest.GateioApiError,
        ) as exc:
            raise RestError(f"{self.exchange} refused the {what} request: {exc}") from exc
        except ValueError as exc:
            raise RestError(f"{self.exchange} sent an unreadable {what} reply ({exc})") from exc

    async def markets(self) -> list[Market]:
        raise NotImplementedError

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        raise NotImplementedError

    async def all_tickers(self, quotes: Iterable[str] = ("KRW",)) -> list[Ticker]:
        raise NotImplementedError

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        raise NotImplementedError

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        raise NotImplementedError

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        raise NotImplementedError

    async def close(self) -> None:
        await self.http.close()


class UpbitRest(RestClient):
    exchange = "upbit"

    async def markets(self) -> list[Market]:
        return await self._call(
            "market", upbit_rest.markets_request(), upbit_rest.parse_markets, "market list"
        )

    async def _batched(
        self, symbols: Iterable[str], fetch: Callable[[list[str]], Awaitable[list[T]]]
    ) -> list[T]:
        codes = sorted(set(symbols))
        out: list[T] = []
        for i in range(0, len(codes), UPBIT_BATCH):
            out.extend(await fetch(codes[i : i + UPBIT_BATCH]))
        return out

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        async def fetch(batch: list[str]) -> list[Ticker]:
            req = upbit_rest.ticker_request(batch)
            return await self._call("ticker", req, upbit_rest.parse_tickers, "ticker")

        return await self._batched(symbols, fetch)

    async def all_tickers(self, quotes: Iterable[str] = ("KRW",)) -> list[Ticker]:
        req = upbit_rest.ticker_all_request(tuple(quotes))
        return await self._call("ticker", req, upbit_rest.parse_tickers, "ticker")

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        async def fetch(batch: list[str]) -> list[OrderBook]:
            req = upbit_rest.orderbook_request(batch)
            return await self._call("orderbook", req, upbit_rest.parse_orderbooks, "order book")

        return await self._batched(symbols, fetch)

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = upbit_rest.trades_request(symbol, count=count)
        return await self._call("trade", req, upbit_rest.parse_trades, "trades")

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        req = upbit_rest.candles_request(symbol, interval, count=count)
        return await self._call(
            "candle", req, lambda body: upbit_rest.parse_candles(body, interval), "candle"
        )


class OkxRest(RestClient):
    exchange = "okx"
    group_limit = RateLimit(20, 2.0)  # the tightest market-data group: 20 / 2 s

    async def markets(self) -> list[Market]:
        return await self._call(
            "instruments",
            okx_rest.instruments_request(),
            okx_rest.parse_instruments,
            "instrument list",
        )

    async def all_tickers(self, quotes: Iterable[str] = ("USDT",)) -> list[Ticker]:
        wanted = set(quotes)
        got = await self._call(
            "tickers", okx_rest.tickers_request(), okx_rest.parse_tickers, "ticker"
        )
        return [t for t in got if t.quote in wanted] if wanted else got

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        wanted = set(symbols)
        got = await self._call(
            "tickers", okx_rest.tickers_request(), okx_rest.parse_tickers, "ticker"
        )
        return [t for t in got if t.symbol in wanted]

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        out = []
        for symbol in sorted(set(symbols)):
            req = okx_rest.book_request(symbol, 30)
            out.append(
                await self._call("books", req, partial(okx_rest.parse_book, symbol=symbol), "book")
            )
        return out

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = okx_rest.trades_request(symbol, count)
        return await self._call(
            "trades", req, lambda body: okx_rest.parse_trades(body, symbol=symbol), "trades"
        )

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        out: list[Candle] = []
        after: int | None = None
        while len(out) < count:
            req = okx_rest.candles_request(symbol, interval, after=after, limit=count - len(out))
            page = await self._call(
                "candles",
                req,
                lambda body: okx_rest.parse_candles(body, symbol, interval),
                "candle",
            )
            if not page:
                break
            out = page + out
            after = okx_rest.next_page_after(page)
        return out[-count:]


def _binance(request: RestRequest) -> tuple[str, dict[str, str]]:
    return request.path, dict(request.params)


class BinanceRest(RestClient):
    exchange = "binance"
    group_limit = RateLimit(20, 1.0)  # well inside 6,000 weight a minute for these calls

    async def markets(self) -> list[Market]:
        req = _binance(binance_rest.exchange_info_request())
        return await self._call("info", req, binance_rest.parse_exchange_info, "symbol list")

    async def all_tickers(self, quotes: Iterable[str] = ("USDT",)) -> list[Ticker]:
        wanted = set(quotes)
        req = _binance(binance_rest.tickers_request())
        got = await self._call("ticker", req, binance_rest.parse_tickers, "ticker")
        return [t for t in got if t.quote in wanted] if wanted else got

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        req = _binance(binance_rest.tickers_request(sorted(set(symbols))))
        return await self._call("ticker", req, binance_rest.parse_tickers, "ticker")

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        out = []
        for symbol in sorted(set(symbols)):
            req = _binance(binance_rest.depth_request(symbol, 100))
            _, book = await self._call(
                "depth", req, partial(binance_rest.parse_depth, symbol=symbol, depth=30), "book"
            )
            out.append(book)
        return out

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = _binance(binance_rest.trades_request(symbol, count))
        return await self._call(
            "trades", req, partial(binance_rest.parse_trades, symbol=symbol), "trades"
        )

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        req = _binance(binance_rest.klines_request(symbol, interval, limit=min(count, 1000)))
        return await self._call(
            "klines",
            req,
            partial(binance_rest.parse_klines, symbol=symbol, interval=interval),
            "candle",
        )


class GateioRest(RestClient):
    exchange = "gateio"
    group_limit = RateLimit(20, 1.0)  # Gate.io allows 200 per 10 s per endpoint

    async def markets(self) -> list[Market]:
        req = gateio_rest.currency_pairs_request()
        return await self._call("pairs", req, gateio_rest.parse_currency_pairs, "pair list")

    async def all_tickers(self, quotes: Iterable[str] = ("USDT",)) -> list[Ticker]:
        wanted = set(quotes)
        got = await self._call(
            "tickers", gateio_rest.tickers_request(), gateio_rest.parse_tickers, "ticker"
        )
        return [t for t in got if t.quote in wanted] if wanted else got

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        wanted = set(symbols)
        got = await self._call(
            "tickers", gateio_rest.tickers_request(), gateio_rest.parse_tickers, "ticker"
        )
        return [t for t in got if t.symbol in wanted]

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        out = []
        for pair in sorted(set(symbols)):
            req = gateio_rest.order_book_request(pair, 30)
            out.append(
                await self._call(
                    "book", req, partial(gateio_rest.parse_order_book, pair=pair), "book"
                )
            )
        return out

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = gateio_rest.trades_request(symbol, count)
        return await self._call("trades", req, gateio_rest.parse_trades, "trades")

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        req = gateio_rest.candles_request(symbol, interval, limit=min(count, 1000))
        return await self._call(
            "candles",
            req,
            partial(gateio_rest.parse_candles, pair=symbol, interval=interval),
            "candle",
        )


class BithumbRest(RestClient):
    exchange = "bithumb"
    group_limit = RateLimit(20, 1.0)  # Bithumb allows 150 / s per category: stay far inside

    async def _call(
        self, group: str, request: tuple[str, Any], parse: Callable[[bytes], T], what: str
    ) -> T:
        try:
            return await super()._call(group, request, parse, what)
        except bithumb_rest.BithumbApiError as exc:  # sent with HTTP 200: never "no data"
            raise RestError(f"{self.exchange} refused the {what} request: {exc}") from exc

    async def markets(self) -> list[Market]:
        try:
            warnings = await self._call(
                "other",
                bithumb_rest.warnings_request(),
                bithumb_rest.parse_warnings,
                "market warning",
            )
        except RestError:
            warnings = []  # the alerts are extra: the market list stands without them
        now_ms = time.time_ns() // 1_000_000
        return await self._call(
            "other",
            bithumb_rest.markets_request(),
            partial(bithumb_rest.parse_markets, warnings=warnings, now_ms=now_ms),
            "market list",
        )

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        codes = sorted(set(symbols))
        out: list[Ticker] = []
        for i in range(0, len(codes), UPBIT_BATCH):
            req = bithumb_rest.ticker_request(codes[i : i + UPBIT_BATCH])
            parse = partial(bithumb_rest.parse_tickers, recv_ns=time.time_ns())
            out.extend(await self._call("ticker", req, parse, "ticker"))
        return out

    async def all_tickers(self, quotes: Iterable[str] = ("KRW",)) -> list[Ticker]:
        wanted = set(quotes)
        markets = await self.markets()
        return await self.tickers(m.symbol for m in markets if not wanted or m.quote in wanted)

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        codes = sorted(set(symbols))
        out: list[OrderBook] = []
        for i in range(0, len(codes), UPBIT_BATCH):
            req = bithumb_rest.orderbook_request(codes[i : i + UPBIT_BATCH])
            out.extend(
                await self._call("orderbook", req, bithumb_rest.parse_orderbooks, "order book")
            )
        return out

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = bithumb_rest.trades_request(symbol, count=count)
        return await self._call("trades", req, bithumb_rest.parse_trades, "trades")

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        req = bithumb_rest.candles_request(symbol, interval, count=count)
        return await self._call(
            "candles", req, partial(bithumb_rest.parse_candles, interval=interval), "candle"
        )


class CoinoneRest(RestClient):
    exchange = "coinone"
    group_limit = RateLimit(15, 1.0)  # Coinone allows 1,200 public requests a minute per IP

    async def _call(
        self, group: str, request: tuple[str, Any], parse: Callable[[bytes], T], what: str
    ) -> T:
        try:
            return await super()._call(group, request, parse, what)
        except coinone_rest.CoinoneApiError as exc:  # sent with HTTP 200
            if exc.code in ("malformed", "invalid"):
                why = f"{self.exchange} sent an unreadable {what} reply ({exc.message})"
            else:
                why = f"{self.exchange} refused the {what} request: {exc}"
            raise RestError(why) from exc

    async def markets(self) -> list[Market]:
        req = coinone_rest.markets_request()
        return await self._call("markets", req, coinone_rest.parse_markets, "market list")

    async def currencies(self) -> dict[str, coinone_rest.CurrencyInfo]:
        """Deposit and withdrawal status per coin."""
        req = coinone_rest.currencies_request()
        return await self._call("currencies", req, coinone_rest.parse_currencies, "currency list")

    async def all_tickers(self, quotes: Iterable[str] = ("KRW",)) -> list[Ticker]:
        out: list[Ticker] = []
        for quote in dict.fromkeys(quotes):
            req = coinone_rest.ticker_request(quote=quote)
            out.extend(await self._call("ticker", req, coinone_rest.parse_tickers, "ticker"))
        return out

    async def tickers(self, symbols: Iterable[str]) -> list[Ticker]:
        wanted = set(symbols)
        if len(wanted) == 1:
            req = coinone_rest.ticker_request(next(iter(wanted)))
            return await self._call("ticker", req, coinone_rest.parse_tickers, "ticker")
        quotes = sorted({s.rpartition("/")[2] for s in wanted})
        return [t for t in await self.all_tickers(quotes) if t.symbol in wanted]

    async def orderbooks(self, symbols: Iterable[str]) -> list[OrderBook]:
        out = []
        for symbol in sorted(set(symbols)):
            req = coinone_rest.orderbook_request(symbol, 16)
            parse = partial(coinone_rest.parse_order_book, symbol=symbol)
            out.append(await self._call("orderbook", req, parse, "order book"))
        return out

    async def trades(self, symbol: str, count: int = 100) -> list[Trade]:
        req = coinone_rest.trades_request(symbol, count)
        parse = partial(coinone_rest.parse_trades, symbol=symbol)
        return await self._call("trades", req, parse, "trades")

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        out: list[Candle] = []
        end: int | None = None
        while len(out) < count:
            req = coinone_rest.chart_request(symbol, interval, count - len(out), end)
            page = await self._call(
                "chart",
                req,
                lambda body: coinone_rest.parse_candles(body, symbol, interval, time.time_ns()),
                "candle",
            )
            older = [c for c in page if not out or c.open_time < out[0].open_time]
            if not older:
                break
            out = older + out
            end = older[0].open_time - 1
        return out[-count:]


__all__ = [
    "BinanceRest",
    "BithumbRest",
    "CoinoneRest",
    "GateioRest",
    "OkxRest",
    "RestClient",
    "RestError",
    "UpbitRest",
]
