"""The ``record``, ``replay`` and ``export`` subcommands: flags and bodies.

``dantaro_tui/cli.py`` registers them::

    add_record_args(p); p.set_defaults(func=record_main)   # and so on
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from dantaro_tui.exchanges.base import RestRequest
from dantaro_tui.recording.format import RecordingError

EXIT_OK = 0
EXIT_FAILED = 1  # could not record / replay / export
EXIT_USAGE = 2


def _console(*, stderr: bool = True) -> Console:
    """A console for the commands' words. Off a terminal (a pipe, a log file, a service
    manager) no line is wrapped at 80 columns: every message is one line of its own."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def _err(console: Console, message: str) -> None:
    console.print(Text("error: ", style="bold red") + Text(message))


def _note(console: Console, message: str) -> None:
    console.print(Text(f"note: {message}", style="yellow"))


def _csv(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


# --------------------------------------------------------------------------- record


def add_record_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exchange", default="upbit", help="exchange to record (default upbit)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--markets", help="market codes, comma separated (KRW-BTC,KRW-ETH)")
    which.add_argument("--all-markets", action="store_true", help="every market the exchange lists")
    parser.add_argument(
        "--quote", help="with --all-markets: only these quote currencies (e.g. KRW or KRW,BTC)"
    )
    parser.add_argument(
        "--channels",
        default="ticker,trade,orderbook",
        help="ticker,trade,orderbook[,candle.1m] (default ticker,trade,orderbook)",
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to write the recording")
    parser.add_argument("--duration", help="stop after this long (90s, 10m, 1h); default: Ctrl-C")
    parser.add_argument(
        "--rotate",
        default="100MB,1h",
        help="start a new chunk file at this size and/or age (100MB, 1h, 100MB,1h)",
    )
    parser.add_argument("--quiet", action="store_true", help="no live status line (services)")
    parser.add_argument("--level", type=int, default=3, help="zstd level 1-19 (default 3)")
    parser.add_argument("--ws-url", help="WebSocket URL (default: the exchange's, or env)")
    parser.add_argument("--rest-url", help="REST base URL (default: the exchange's, or env)")


# Where a venue's REST module names its market list otherwise than markets_request /
# parse_markets (each keeps the exchange's own word for it).
_MARKET_LIST = {
    "okx": ("instruments_request", "parse_instruments"),
    "binance": ("exchange_info_request", "parse_exchange_info"),
    "gateio": ("currency_pairs_request", "parse_currency_pairs"),
}


async def fetch_markets(
    exchange: str, rest_url: str | None, quotes: list[str]
) -> tuple[list[str], str, bytes]:
    """Every market of ``exchange`` (only ``quotes`` if given): (codes, request URL, body)."""
    from dantaro_tui.feed.rest import HttpClient

    adapter = importlib.import_module(f"dantaro_tui.exchanges.{exchange}_rest")
    request_name, parse_name = _MARKET_LIST.get(exchange, ("markets_request", "parse_markets"))
    request = getattr(adapter, request_name)
    parse = getattr(adapter, parse_name)
    made = request()
    if isinstance(made, RestRequest):
        path, params = made.path, dict(made.params)
    else:
        path, params = made
    http = HttpClient(exchange, rest_url)
    try:
        body = await http.get("market", path, params)
    finally:
        await http.close()
    markets = parse(body)
    wanted = {q.upper() for q in quotes}
    codes = [m.symbol for m in markets if not wanted or m.quote.upper() in wanted]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return codes, f"{http.base_url}{path}" + (f"?{query}" if query else ""), body


class _StatusLine:
    """``REC upbit 00:01:23 | 1,234 frames/s | 3.2 MB | 2 files | 0 reconnects | ...``"""

    def __init__(
        self, exchange: str, recorder: Any, counts: Counter[str], errors: Counter[str]
    ) -> None:
        self.exchange = exchange
        self.recorder = recorder
        self.counts = counts
        self.errors = errors
        self.started = time.monotonic()
        self._last = (self.started, 0)
        self.rate = 0.0

    def __rich__(self) -> Text:
        now = time.monotonic()
        stats = self.recorder.stats
        t0, f0 = self._last
        if now - t0 >= 1.0:
            self.rate = (stats.frames - f0) / (now - t0)
            self._last = (now, stats.frames)
        elapsed = int(now - self.started)
        h, rem = divmod(elapsed, 3600)
        m, s = divmod(rem, 60)
        text = Text()
        text.append(" REC ", style="bold white on red")
        text.append(f" {self.exchange} {h:02d}:{m:02d}:{s:02d}  ")
        text.append(f"{self.rate:,.0f} frames/s", style="bold")
        text.append(f"  {stats.frames:,} frames  {_mb(stats.bytes_written)} written")
        text.append(f"  {stats.files} file(s)  {stats.reconnects} reconnect(s)")
        if stats.lost:
            text.append(f"  {stats.lost:,} LOST", style="bold red")
        if self.errors:
            text.append(f"  {sum(self.errors.values()):,} feed error(s)", style="yellow")
        if self.counts:
            text.append("  | " + "  ".join(f"{k} {v:,}" for k, v in sorted(self.counts.items())))
        return text


MARKET_LIST_TIMEOUT = 5.0  # seconds: the market list is a check, not a requirement
PLAIN_STATUS_EVERY = 10.0  # seconds between status lines when not on a terminal


async def wait_for_stop(
    stop: asyncio.Event,
    duration: float | None,
    console: Console,
    status_line: Any,
    *,
    plain: bool,
    every: float = PLAIN_STATUS_EVERY,
) -> None:
    """Return when ``stop`` is set or ``duration`` seconds pass; when ``plain`` (a pipe or
    a log, where no live line is redrawn) print ``status_line`` every ``every`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    next_line = loop.time() + every
    while not stop.is_set():
        timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - loop.time()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout)
        if deadline is not None and loop.time() >= deadline:
            return
        if plain and loop.time() >= next_line:
            next_line = loop.time() + every
            console.print(status_line)


def _not_listed(exchange: str, unknown: list[str], listed: list[str]) -> str:
    """``upbit does not list KRW-NOPE (did you mean ...?)``"""
    import difflib

    names = ", ".join(unknown[:10]) + (
        f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    )
    text = f"{exchange} does not list {names} ({len(listed):,} markets listed)"
    close = difflib.get_close_matches(unknown[0], listed, n=3, cutoff=0.6)
    if close:
        text += f"; did you mean {' or '.join(close)}?"
    return text


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"


def record_main(args: argparse.Namespace) -> int:
    console = _console()
    try:
        return asyncio.run(_record(args, console))
    except KeyboardInterrupt:
        return 130


async def _record(args: argparse.Namespace, console: Console) -> int:
    from dantaro_tui.exchanges import codec_class
    from dantaro_tui.feed.client import WebSocketClient
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.recording.recorder import Recorder, parse_duration, parse_rotate

    exchange = args.exchange.lower()
    markets: list[str] = []
    try:  # bad flags, codes or channels are a usage error, before anything is written
        validator = codec_class(exchange)()
        duration = parse_duration(args.duration) if args.duration else None
        rotate_bytes, rotate_seconds = parse_rotate(args.rotate) if args.rotate else (None, None)
        channels = _csv(args.channels)
        if not channels:
            raise ValueError("--channels needs at least one channel")
        if not 1 <= args.level <= 22:
            raise ValueError("--level must be between 1 and 22")
        for channel in channels:
            validator.validate_channel(channel)
        if not args.all_markets:
            markets = list(dict.fromkeys(validator.normalize_symbol(m) for m in _csv(args.markets)))
            if not markets:
                raise ValueError("--markets needs at least one market code")
    except ValueError as exc:
        _err(console, str(exc))
        return EXIT_USAGE

    rest_body: tuple[str, bytes] | None = None
    if args.all_markets:
        try:
            markets, url, body = await fetch_markets(exchange, args.rest_url, _csv(args.quote))
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            _err(console, f"could not list the markets of {exchange}: {message}")
            return EXIT_FAILED
        if not markets:
            _err(console, f"{exchange} lists no markets for quote {args.quote}")
            return EXIT_FAILED
        rest_body = (url, body)
    else:
        # The market list: to refuse codes the exchange does not list (instead of waiting
        # for data that never comes), and kept in the recording so a replay shows names.
        # Out of reach, the recording goes ahead unchecked.
        try:
            listed, url, body = await asyncio.wait_for(
                fetch_markets(exchange, args.rest_url, []), MARKET_LIST_TIMEOUT
            )
        except Exception as exc:
            reason = getattr(exc, "message", None) or str(exc) or "no answer in time"
            _note(console, f"could not check the market codes against {exchange}'s list: {reason}")
        else:
            rest_body = (url, body)
            known = set(listed)
            unknown = [m for m in markets if known and m not in known]
            if unknown:
                _err(console, _not_listed(exchange, unknown, listed))
                return EXIT_USAGE

    hub = FeedHub()  # this command's one door to the exchange
    ws_url = hub.ws_url(exchange, args.ws_url)
    requested = {
        "exchange": exchange,
        "markets": markets,
        "all_markets": bool(args.all_markets),
        "quote": _csv(args.quote),
        "channels": channels,
        "ws_url": ws_url,
    }
    stop = asyncio.Event()
    failure: list[str] = []
    loop = asyncio.get_running_loop()

    def on_error(exc: RecordingError) -> None:  # from the writer thread
        failure.append(str(exc))
        loop.call_soon_threadsafe(stop.set)

    recorder = Recorder(
        args.out,
        source="record",
        requested=requested,
        rotate_bytes=rotate_bytes,
        rotate_seconds=rotate_seconds,
        level=args.level,
        on_error=on_error,
    )
    try:
        recorder.start(hub)
    except RecordingError as exc:
        _err(console, str(exc))
        return EXIT_FAILED
    if rest_body is not None:
        recorder.record_rest(exchange, *rest_body)

    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()

    def counter(channel: str) -> Callable[[Any], None]:
        def count(_ev: Any) -> None:
            counts[channel] += 1

        return count

    def on_status(status: Any) -> None:
        if status.kind == "error":
            errors[status.message] += 1

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    client = WebSocketClient(
        "recorder",
        exchange,
        url=ws_url,
        rest_url=args.rest_url,
        on_status=on_status,
        hub=hub,
        sync_timeout=1.0,  # the connection keeps trying in the background anyway
    )
    status_line = _StatusLine(exchange, recorder, counts, errors)
    live = None
    code = EXIT_OK
    try:
        try:
            # All channels registered before the first request goes out: one request.
            await asyncio.gather(*(client.subscribe(ch, markets, counter(ch)) for ch in channels))
        except ValueError as exc:
            _err(console, str(exc))
            code = EXIT_USAGE
            return code
        plain = not args.quiet and not console.is_terminal
        if plain:  # a pipe or a log: whole lines now and then, never a redrawn one
            shown = ", ".join(markets[:5]) + (
                f" and {len(markets) - 5} more" if len(markets) > 5 else ""
            )
            console.print(f"recording {exchange} {shown} ({', '.join(channels)}) to {args.out}")
        elif not args.quiet:
            from rich.live import Live

            live = Live(status_line, console=console, refresh_per_second=2, transient=False)
            live.start()
        await wait_for_stop(stop, duration, console, status_line, plain=plain)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        health = client.health()
        # The recording ends before the feed closes: its connections are written as ended
        # by the recording, not as dropped by the exchange.
        await asyncio.to_thread(recorder.close)
        await client.cleanup()
        await hub.close()
        if live is not None:
            live.stop()
    stats = recorder.stats
    if failure or recorder.error is not None:
        _err(console, failure[0] if failure else str(recorder.error))
        return EXIT_FAILED
    if code != EXIT_OK:
        return code
    if stats.frames == 0:
        why = health.last_error or "the exchange sent nothing for these markets"
        _err(console, f"recorded nothing from {exchange}: {why}")
        return EXIT_FAILED
    if not args.quiet:
        console.print(
            f"recorded {stats.frames:,} frames ({_mb(stats.bytes_written)} in {stats.files} "
            f"file(s), {stats.reconnects} reconnect(s)) to {args.out}"
        )
    return EXIT_OK


# --------------------------------------------------------------------------- replay


MAX_SPEED = float("inf")


def _speed(text: str) -> float:
    """``1``, ``10``, ``0.5``, ``10x`` or ``max`` (= inf)."""
    s = text.strip().lower()
    if s in ("max", "inf", "0"):
        return MAX_SPEED
    s = s.removesuffix("x")
    try:
        value = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use a factor (1, 10, 0.5) or max") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the speed must be positive (or max)")
    return value


def add_replay_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="recording folder (or one chunk file)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=None,
        help="1 = as recorded, 10 = ten times faster, max = as fast as possible "
        "(default 1; max with --headless)",
    )
    parser.add_argument(
        "--from", dest="start", help="start at: +10m (after the start), 09:30:00, ISO time"
    )
    parser.add_argument("--to", dest="end", help="stop at: +1h, 10:00:00, ISO time")
    parser.add_argument(
        "--headless", action="store_true", help="no TUI: print a summary (counts, gaps)"
    )
    parser.add_argument("--exchange", help="only this exchange (comma separated for several)")


def _window(recording: Any, start: str | None, end: str | None) -> tuple[int | None, int | None]:
    from dantaro_tui.recording.replay import parse_time, recording_start

    first = recording_start(recording) if (start or end) else 0
    start_ns = parse_time(start, first) if start else None
    end_ns = parse_time(end, first) if end else None
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        raise ValueError("--to is before --from")
    return start_ns, end_ns


def replay_main(args: argparse.Namespace) -> int:
    from dantaro_tui.recording.format import Recording

    console = _console()
    try:
        recording = Recording(args.path)
        start_ns, end_ns = _window(recording, args.start, args.end)
    except (RecordingError, ValueError) as exc:
        _err(console, str(exc))
        return EXIT_FAILED if isinstance(exc, RecordingError) else EXIT_USAGE
    if args.headless:
        speed = None if args.speed in (None, MAX_SPEED) else args.speed
        return _replay_headless(args, recording, speed, start_ns, end_ns, console)
    speed = 1.0 if args.speed is None else None if args.speed == MAX_SPEED else args.speed
    return _replay_tui(args, recording, speed, start_ns, end_ns)


def _replay_headless(
    args: argparse.Namespace,
    recording: Any,
    speed: float | None,
    start_ns: int | None,
    end_ns: int | None,
    console: Console,
) -> int:
    from dantaro_tui.recording.replay import ReplaySource, summary_renderable

    out = _console(stderr=False)
    source = ReplaySource(
        recording, start_ns=start_ns, end_ns=end_ns, exchanges=_csv(args.exchange) or None
    )
    live = None
    if speed is not None and console.is_terminal:
        from rich.live import Live

        live = Live(Text("replaying..."), console=console, refresh_per_second=2, transient=True)
        live.start()

    def progress(summary: Any) -> None:
        if live is not None:
            from dantaro_tui.recording.replay import format_ns

            live.update(Text(f" REPLAY  {format_ns(summary.last_ns)}  {summary.frames:,} frames"))

    try:
        summary = source.summarize(speed=speed, progress=progress)
    except (RecordingError, OSError) as exc:
        _err(console, str(exc))
        return EXIT_FAILED
    finally:
        if live is not None:
            live.stop()
    out.print(summary_renderable(summary, title=f"Replay of {args.path}"))
    if summary.frames == 0:
        _err(console, "no frames in the recording (or in the chosen time window)")
        return EXIT_FAILED
    return EXIT_OK


def make_replay_server(
    path: Path | Any,
    speed: float | None = 1.0,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> Any:
    """A ReplayServer (not started: start it on the TUI's event loop with start_replay)."""
    from dantaro_tui.recording.replay import ReplayServer

    return ReplayServer(path, speed=speed, start_ns=start_ns, end_ns=end_ns)


async def start_replay(server: Any, hub: Any = None) -> Any:
    """Start ``server`` and point every exchange's endpoints of ``hub`` (default: the
    process's default hub) at it."""
    from dantaro_tui.feed.hub import default_hub

    await server.start()
    hub = hub or default_hub()
    for exchange, urls in server.endpoints.items():
        hub.set_endpoint(exchange, ws=urls["ws"], rest=urls["rest"])
    return server


class ReplaySession:
    """The TUI's session object for ``replay`` (like its demo/live sessions): ``start(app)``
    starts the ReplayServer on the app's loop and points every exchange at it; the status
    bar shows ``clock_ns`` (the recorded time being played) next to the REPLAY badge.

    When the recording has been played to its end the session says so (a notice on the
    status line and a toast) and lets go of the feeds: nothing more will come, and a feed
    left open would go stale, probe and reconnect to a server with nothing left to say, as
    if the exchange were failing."""

    # After the last frame: time for it to reach the panes before the feeds are let go.
    SETTLE = 0.5

    def __init__(self, server: Any) -> None:
        self.server = server
        self._watcher: asyncio.Task[None] | None = None

    @property
    def clock_ns(self) -> int:
        return int(self.server.clock_ns)

    @property
    def finished(self) -> bool:
        return bool(self.server.finished.is_set())

    def end_text(self) -> str:
        """What the status line says once the replay is over (the badge keeps the time)."""
        error = getattr(self.server, "error", None)
        if error is not None:
            return f"replay stopped: {error}"
        return "replay finished (end of the recording)"

    async def start(self, app: Any = None) -> None:
        await start_replay(self.server, getattr(app, "hub", None))
        if app is not None:
            self._watcher = asyncio.create_task(self._watch(app), name="replay-end")

    async def _watch(self, app: Any) -> None:
        await self.server.finished.wait()
        await asyncio.sleep(self.SETTLE)
        from dantaro_tui.recording.replay import format_ns

        text = self.end_text()
        toast = f"{text}; the recording ends at {format_ns(self.server.clock_ns)[:19]}"
        with contextlib.suppress(Exception):
            app.notify(toast, title="Replay", severity="information", timeout=15)
        hub = getattr(app, "hub", None)
        for client in hub.clients() if hub is not None else []:
            with contextlib.suppress(Exception):
                await client.cleanup()
        # Kept on the status line (a status bar mounted later, e.g. on the health screen,
        # gets it too, and a late "markets loaded" does not wipe it).
        while True:
            with contextlib.suppress(Exception):
                app._status_notice(text)
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
        await self.server.stop()


# What a replay's charts open: the layout that shows that many markets.
_LAYOUT_FOR = ((1, "1x1"), (2, "1x2"), (4, "2x2"))
MAX_CHARTS = 9
SCAN_FRAMES = 20_000  # frames read to find the markets of a recording that did not say


def recorded_markets(
    recording: Any,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    scan_frames: int = SCAN_FRAMES,
) -> tuple[str, list[str], int]:
    """``(exchange, markets, frames)`` a replay should open: the markets the recording
    asked for (``record --markets``), else those its frames carry, most traded first;
    ``frames`` counts the received frames seen in the window (0: nothing to replay)."""
    from dantaro_tui.model import Candle, OrderBook, Ticker, Trade
    from dantaro_tui.recording.replay import ReplaySource

    asked: dict[str, list[str]] = {}
    sessions = recording.manifest.sessions if recording.manifest is not None else []
    for requested in [s.requested for s in sessions]:
        _asked(asked, requested)
    busy: Counter[tuple[str, str]] = Counter()  # trades, books, candles: what charts show
    quiet: Counter[tuple[str, str]] = Counter()  # tickers (a scanner's every market)
    frames = 0
    need_scan = not any(0 < len(m) <= MAX_CHARTS for m in asked.values())
    source = ReplaySource(recording, start_ns=start_ns, end_ns=end_ns)
    for rec, events in source:
        if rec.type == "session" and not sessions and rec.info:
            _asked(asked, rec.info.get("requested"))
            need_scan = not any(0 < len(m) <= MAX_CHARTS for m in asked.values())
            continue
        if rec.type != "recv":
            continue
        frames += 1
        if not need_scan or frames > scan_frames:
            break
        for ev in events:
            symbol = getattr(ev, "symbol", "")
            if not symbol:
                continue
            key = (ev.exchange, symbol)
            if isinstance(ev, Trade | OrderBook | Candle):
                busy[key] += 1
            elif isinstance(ev, Ticker):
                quiet[key] += 1
    fits = {ex: m for ex, m in asked.items() if 0 < len(m) <= MAX_CHARTS}
    if fits:
        exchange = "upbit" if "upbit" in fits else next(iter(fits))
        return exchange, fits[exchange], frames
    # Markets with trades or books were on a chart, a book or a tape; tickers alone were
    # a scanner's (every market): those only when nothing else was recorded.
    seen = busy or quiet
    if not seen:
        return "", [], frames
    per_exchange: Counter[str] = Counter()
    for (ex, _), n in seen.items():
        per_exchange[ex] += n
    exchange = "upbit" if "upbit" in per_exchange else per_exchange.most_common(1)[0][0]
    ranked = sorted((key for key in seen if key[0] == exchange), key=lambda key: -seen[key])
    return exchange, [symbol for _, symbol in ranked[:MAX_CHARTS]], frames


def _asked(asked: dict[str, list[str]], requested: object) -> None:
    """Add one session's requested markets (a dict read from the file: anything goes)."""
    if not isinstance(requested, dict):
        return
    exchange, markets = requested.get("exchange"), requested.get("markets")
    if not isinstance(exchange, str) or not isinstance(markets, list):
        return
    codes = asked.setdefault(exchange.lower(), [])
    codes += [m for m in markets if isinstance(m, str) and m not in codes]


def replay_layout(count: int) -> str:
    for most, layout in _LAYOUT_FOR:
        if count <= most:
            return layout
    return "3x3"


def _replay_tui(
    args: argparse.Namespace,
    recording: Any,
    speed: float | None,
    start_ns: int | None,
    end_ns: int | None,
) -> int:
    """The TUI, fed by a ReplayServer: the TUI finds it in ``args.replay_server``, starts it
    with ``await start_replay(args.replay_server)`` and shows a REPLAY badge with
    ``server.clock_ns``. The charts open the recorded markets, and the user's settings
    are read (theme) but never written: a replay is not the trader's session."""
    console = _console()
    try:
        from dantaro_tui.ui import run as tui
    except ImportError as exc:
        _err(console, f"the TUI is not available ({exc}); use --headless")
        return EXIT_FAILED
    try:
        exchange, markets, frames = recorded_markets(recording, start_ns=start_ns, end_ns=end_ns)
    except (RecordingError, OSError) as exc:
        _err(console, str(exc))
        return EXIT_FAILED
    if not frames:
        _err(console, "no frames in the recording (or in the chosen time window)")
        return EXIT_FAILED
    # The TUI's own flags at their defaults, so tui_main sees a complete namespace.
    tui_parser = argparse.ArgumentParser(add_help=False)
    tui.add_tui_args(tui_parser)
    defaults = vars(tui_parser.parse_args([]))
    for key, value in defaults.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    if markets:
        args.symbols = ",".join((markets * MAX_CHARTS)[:MAX_CHARTS])
        args.layout = replay_layout(len(markets))
    args.cockpit_exchange = exchange or None
    args.no_save = True
    args.replay_server = make_replay_server(recording, speed, start_ns, end_ns)
    return int(tui.tui_main(args) or 0)


# --------------------------------------------------------------------------- export


def add_export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="recording folder (or one chunk file)")
    parser.add_argument(
        "--to", dest="fmt", choices=("parquet", "csv"), required=True, help="file format"
    )
    parser.add_argument("--out", required=True, type=Path, help="folder for the tables")
    parser.add_argument(
        "--channels",
        default="trade,ticker,orderbook",
        help="trade,ticker,orderbook[,candle] (default trade,ticker,orderbook); "
        "trades also give candles",
    )
    parser.add_argument("--depth", type=int, default=5, help="book levels per side (default 5)")
    parser.add_argument(
        "--interval", default="1m", help="candle interval resampled from trades (default 1m)"
    )
    parser.add_argument("--from", dest="start", help="start at: +10m, 09:30:00, ISO time")
    parser.add_argument("--until", dest="end", help="stop at: +1h, 10:00:00, ISO time")
    parser.add_argument("--exchange", help="only this exchange (comma separated for several)")


def export_main(args: argparse.Namespace) -> int:
    from dantaro_tui.recording.export import export_recording
    from dantaro_tui.recording.format import Recording

    console = _console()
    try:
        recording = Recording(args.path)
        start_ns, end_ns = _window(recording, args.start, args.end)
        result = export_recording(
            recording.path,
            args.out,
            fmt=args.fmt,
            channels=_csv(args.channels),
            depth=args.depth,
            interval=args.interval,
            start_ns=start_ns,
            end_ns=end_ns,
            exchanges=_csv(args.exchange) or None,
        )
    except ValueError as exc:
        _err(console, str(exc))
        return EXIT_USAGE
    except (RecordingError, OSError) as exc:
        _err(console, str(exc))
        return EXIT_FAILED
    for name, file in result.files.items():
        console.print(f"{name:<13} {result.rows[name]:>10,} rows  {file}")
    for problem in result.problems:
        _note(console, problem)
    if not result.frames:
        _note(console, "no frames in the recording (or in the chosen time window): empty tables")
    return EXIT_OK


__all__ = [
    "ReplaySession",
    "add_export_args",
    "add_record_args",
    "add_replay_args",
    "export_main",
    "fetch_markets",
    "make_replay_server",
    "record_main",
    "replay_main",
    "start_replay",
]
