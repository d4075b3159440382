"""The ``collect`` subcommand: the feed hub, headless, publishing to Redis for many terminals.

    dantaro-tui collect --redis redis://localhost:6379 --exchange upbit --markets all
    dantaro-tui collect --demo --exchange upbit,okx --markets all   # on the simulator
    dantaro-tui collect --demo --exchange upbit,bithumb,okx --markets all --premium bithumb=2.8

Its flags and status line follow ``record``'s (``recording/cli.py``); ``--record DIR`` also
writes the raw frames to disk as ``record`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from dantaro_tui.cli_flags import add_premium_args, premiums_from
from dantaro_tui.feed.redis_layout import ENV_URL, MAX_AGE, STATE_MAXLEN, TRADE_MAXLEN, redis_url
from dantaro_tui.recording.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    MARKET_LIST_TIMEOUT,
    _console,
    _csv,
    _err,
    _not_listed,
    _note,
    fetch_markets,
    wait_for_stop,
)
from dantaro_tui.recording.format import RecordingError


def add_collect_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis",
        metavar="URL",
        help=f"redis://[:password@]host:6379/0 or rediss:// (TLS); default ${ENV_URL}, "
        "which keeps a password off the command line",
    )
    parser.add_argument(
        "--exchange", default="upbit", help="exchanges, comma separated (default upbit)"
    )
    parser.add_argument(
        "--markets",
        required=True,
        help="all, or market codes (KRW-BTC,KRW-ETH); with several exchanges name each "
        "as exchange:CODE (upbit:KRW-BTC,okx:BTC-USDT)",
    )
    parser.add_argument("--quote", help="with --markets all: only these quote currencies (KRW)")
    parser.add_argument(
        "--channels",
        default="ticker,trade,orderbook",
        help="ticker,trade,orderbook[,candle.1m] (default ticker,trade,orderbook)",
    )
    parser.add_argument("--quiet", action="store_true", help="no live status line (services)")
    parser.add_argument("--record", metavar="DIR", type=Path, help="also record raw frames to DIR")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="collect from the built-in simulated exchange (terminals on it say DEMO)",
    )
    add_premium_args(parser, kimchi_default=3.0, scope="with --demo: ")
    parser.add_argument("--duration", help="stop after this long (90s, 10m, 1h); default: Ctrl-C")
    parser.add_argument(
        "--max-age",
        default=f"{MAX_AGE:.0f}s",
        help=f"entries kept per stream at most this long (default {MAX_AGE:.0f}s): how long "
        "a terminal may be cut off without losing trades",
    )
    parser.add_argument(
        "--trade-maxlen",
        type=int,
        default=TRADE_MAXLEN,
        help="entries kept per trade stream, an entry being one batch of the market's trades "
        f"(approximately; default {TRADE_MAXLEN:,})",
    )
    parser.add_argument(
        "--state-maxlen",
        type=int,
        default=STATE_MAXLEN,
        help=f"entries kept per ticker/book/candle stream (default {STATE_MAXLEN})",
    )


def collect_main(args: argparse.Namespace) -> int:
    console = _console()
    try:
        return asyncio.run(_collect(args, console))
    except KeyboardInterrupt:
        return 130


class _StatusLine:
    """``COLLECT upbit,okx 00:01:23  1,234 events/s  ...  redis://host:6379/0 0.8 ms``"""

    def __init__(self, collector: Any) -> None:
        self.collector = collector
        self.started = time.monotonic()
        self._last = (self.started, 0)
        self.rate = 0.0

    def __rich__(self) -> Text:
        c = self.collector
        stats = c.stats
        now = time.monotonic()
        t0, n0 = self._last
        if now - t0 >= 1.0:
            self.rate = (stats.published - n0) / (now - t0)
            self._last = (now, stats.published)
        elapsed = int(now - self.started)
        h, rem = divmod(elapsed, 3600)
        m, s = divmod(rem, 60)
        text = Text()
        text.append(" COLLECT ", style="bold white on blue")
        if c.demo:
            text.append(" DEMO ", style="bold black on yellow")
        text.append(f" {','.join(c.markets)} {h:02d}:{m:02d}:{s:02d}  ")
        text.append(f"{self.rate:,.0f} events/s", style="bold")
        text.append(f"  {stats.published:,} published  {c.redacted_url}")
        if stats.redis_ok:
            text.append(f" {max(stats.redis_ms, 0.0):.1f} ms")
        else:
            text.append(f"  REDIS DOWN: {stats.last_error}", style="bold red")
            text.append(f" ({c.backlog:,} waiting)", style="red")
        if stats.lost:
            text.append(f"  {stats.lost:,} LOST", style="bold red")
        feeds = c.feeds()
        for exchange, h_ in feeds.items():
            style = "green" if h_.state == "connected" else "yellow"
            text.append(f"  {exchange} {h_.state}", style=style)
        reconnects = sum(h_.reconnects for h_ in feeds.values())
        text.append(f"  {reconnects} reconnect(s)")
        if c.feed_errors:
            text.append(f"  {c.feed_errors:,} feed error(s)", style="yellow")
        return text


def _markets_by_exchange(exchanges: list[str], text: str) -> dict[str, list[str]] | None:
    """Codes per exchange from ``--markets`` (None = all); ValueError with the sentence."""
    from dantaro_tui.exchanges import codec_class

    codes = _csv(text)
    if [c.lower() for c in codes] == ["all"]:
        return None
    if not codes:
        raise ValueError("--markets needs market codes, or all")
    out: dict[str, list[str]] = {ex: [] for ex in exchanges}
    for code in codes:
        exchange, sep, symbol = code.partition(":")
        if not sep:
            if len(exchanges) > 1:
                raise ValueError(
                    f"{code}: with several exchanges name each market as exchange:CODE "
                    f"({exchanges[0]}:{code})"
                )
            exchange, symbol = exchanges[0], code
        exchange = exchange.lower()
        if exchange not in out:
            raise ValueError(f"{code}: {exchange} is not one of --exchange {','.join(exchanges)}")
        normalized = codec_class(exchange)().normalize_symbol(symbol)
        if normalized not in out[exchange]:
            out[exchange].append(normalized)
    empty = [ex for ex, m in out.items() if not m]
    if empty:
        raise ValueError(f"--markets names no market of {', '.join(empty)}")
    return out


async def _collect(args: argparse.Namespace, console: Console) -> int:
    from dantaro_tui.exchanges import codec_class
    from dantaro_tui.feed.collector_redis import CollectorError, RedisCollector
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.recording.recorder import parse_duration

    try:  # bad flags are a usage error, before anything connects
        url = redis_url(args.redis)
        exchanges = list(dict.fromkeys(e.lower() for e in _csv(args.exchange)))
        if not exchanges:
            raise ValueError("--exchange needs at least one exchange")
        channels = _csv(args.channels)
        if not channels:
            raise ValueError("--channels needs at least one channel")
        for exchange in exchanges:
            validator = codec_class(exchange)()
            for channel in channels:
                validator.validate_channel(channel)
        wanted = _markets_by_exchange(exchanges, args.markets)
        duration = parse_duration(args.duration) if args.duration else None
        if args.trade_maxlen < 1 or args.state_maxlen < 1:
            raise ValueError("--trade-maxlen and --state-maxlen must be at least 1")
        max_age = parse_duration(args.max_age)
        premiums = premiums_from(args)
    except ValueError as exc:
        _err(console, str(exc))
        return EXIT_USAGE

    hub = FeedHub()  # this command's one door to the exchanges
    sim: Any = None
    recorder: Any = None
    collector: RedisCollector | None = None
    rest_urls: dict[str, str] = {}
    try:
        if args.demo:
            from dantaro_tui.sim.server import SimServer

            sim = SimServer(
                host="127.0.0.1",
                port=0,
                venues=exchanges,
                kimchi_premium=args.kimchi_premium,
                premiums=premiums,
            )
            try:
                await sim.start()
            except Exception as exc:
                _err(console, f"the demo simulator could not start: {exc}")
                return EXIT_FAILED
            for exchange, urls in sim.endpoints.items():
                hub.set_endpoint(exchange, ws=urls["ws"], rest=urls["rest"])
                rest_urls[exchange] = urls["rest"]
        markets: dict[str, list[str]] = {}
        listings: list[tuple[str, str, bytes]] = []
        for exchange in exchanges:
            quotes = _csv(args.quote)
            if wanted is None:
                try:
                    codes, list_url, body = await fetch_markets(
                        exchange, hub.rest_url(exchange), quotes
                    )
                except Exception as exc:
                    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                    _err(console, f"could not list the markets of {exchange}: {message}")
                    return EXIT_FAILED
                if not codes:
                    _err(console, f"{exchange} lists no markets for quote {args.quote}")
                    return EXIT_FAILED
                markets[exchange] = codes
                listings.append((exchange, list_url, body))
                continue
            markets[exchange] = wanted[exchange]
            # Codes the exchange does not list are refused (data for them never comes);
            # out of reach, the collector goes ahead unchecked.
            try:
                listed, list_url, body = await asyncio.wait_for(
                    fetch_markets(exchange, hub.rest_url(exchange), []), MARKET_LIST_TIMEOUT
                )
            except Exception as exc:
                reason = getattr(exc, "message", None) or str(exc) or "no answer in time"
                _note(
                    console, f"could not check the market codes against {exchange}'s list: {reason}"
                )
                continue
            listings.append((exchange, list_url, body))
            listed_set = set(listed)
            unknown = [m for m in markets[exchange] if listed and m not in listed_set]
            if unknown:
                _err(console, _not_listed(exchange, unknown, listed))
                return EXIT_USAGE

        if args.record is not None:
            from dantaro_tui.recording.recorder import Recorder

            try:
                recorder = Recorder(
                    args.record,
                    source="collect-demo" if args.demo else "collect",
                    requested={"exchanges": exchanges, "markets": markets, "channels": channels},
                )
                recorder.start(hub)
            except (RecordingError, OSError) as exc:
                _err(console, str(exc))
                return EXIT_FAILED
            for listing in listings:
                recorder.record_rest(*listing)

        collector = RedisCollector(
            url,
            markets,
            channels,
            hub=hub,
            trade_maxlen=args.trade_maxlen,
            state_maxlen=args.state_maxlen,
            max_age=max_age,
            demo=bool(args.demo),
            rest_urls=rest_urls,
        )
        try:
            await collector.start()
        except CollectorError as exc:
            _err(console, str(exc))
            collector = None
            return EXIT_FAILED
        except ValueError as exc:
            _err(console, str(exc))
            return EXIT_USAGE
        return await _run(args, console, collector, duration)
    finally:
        # The recording ends before the feed closes: its connections are written as ended
        # by the recording, not as dropped by the exchange.
        if recorder is not None:
            await asyncio.to_thread(recorder.close)
        if collector is not None:
            await collector.stop()
        await hub.close()
        if sim is not None:
            await sim.stop()


async def _run(
    args: argparse.Namespace, console: Console, collector: Any, duration: float | None
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    status_line = _StatusLine(collector)
    live = None
    plain = not args.quiet and not console.is_terminal
    if plain:  # a pipe or a log: whole lines now and then, never a redrawn one
        counts = ", ".join(f"{ex} {len(m):,} market(s)" for ex, m in collector.markets.items())
        console.print(
            f"collecting {counts} ({', '.join(collector.channels)}) to {collector.redacted_url}"
        )
    elif not args.quiet:
        from rich.live import Live

        live = Live(status_line, console=console, refresh_per_second=2, transient=False)
        live.start()
    try:
        await wait_for_stop(stop, duration, console, status_line, plain=plain)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if live is not None:
            live.stop()
    stats = collector.stats
    if not args.quiet:
        console.print(
            f"published {stats.published:,} events to {collector.redacted_url}"
            + (f"; {stats.lost:,} lost while Redis was away" if stats.lost else "")
        )
    if stats.published == 0:
        why = next((h.last_error for h in collector.feeds().values() if h.last_error), "")
        _err(console, f"published nothing: {why or stats.last_error or 'no data came'}")
        return EXIT_FAILED
    return EXIT_OK
