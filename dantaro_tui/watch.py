"""``dantaro-tui watch``: the alert rules of the config file, headless, delivered by Apprise.

Runs the cockpit's alert service (and the price, move, premium and feed rules of
``[[watch]]``) on any venue, live, on the built-in simulator (``--demo``) or from a
collector's Redis (``--source redis://...``, else ``DANTARO_SOURCE`` when set; the first
line says which). Every alert is printed as one line and sent to
the rule's ``urls`` (or ``[notify] urls``); a live status line says what the feeds and
the deliveries are doing. Without ``[[watch]]`` rules it runs the defaults: volume spikes,
pumps and dumps of every market but the stablecoins' (each against its own activity) and
a feed down for 30 s.

    dantaro-tui watch --demo                  # simulated prices, alerts marked DEMO
    dantaro-tui watch --demo --premium bithumb=2.8
    dantaro-tui watch --config ~/alerts.toml --quiet
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from typing import Any

from rich.console import Console
from rich.text import Text

from dantaro_tui.cli_flags import (
    ENV_SOURCE,
    add_intensity_arg,
    add_premium_args,
    chosen_source,
    premiums_from,
)
from dantaro_tui.services.notify import Verdict
from dantaro_tui.services.notify_text import Notice, render

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
PLAIN_STATUS_EVERY = 60.0  # seconds between status lines off a terminal
DEFAULT_QUOTES = {"upbit": "KRW", "bithumb": "KRW", "coinone": "KRW"}


def add_watch_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="watch the built-in simulated exchange (alerts say DEMO; prices are NOT real)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="settings file with [notify] and [[watch]] (default: the platform config dir)",
    )
    parser.add_argument("--quiet", action="store_true", help="no live status line (services)")
    parser.add_argument("--exchange", help="venue to watch (default: the settings' exchange)")
    parser.add_argument("--quote", help="quote currency of the markets watched (default KRW)")
    parser.add_argument(
        "--source",
        metavar="URL",
        help="take the feeds from a collector (dantaro-tui collect) on Redis: redis://host:6379,"
        f" or 'redis' for $DANTARO_REDIS_URL; default ${ENV_SOURCE}",
    )
    parser.add_argument("--duration", help="stop after this long (90s, 10m, 1h); default: Ctrl-C")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the demo market")
    add_intensity_arg(parser)
    add_premium_args(parser, kimchi_default=3.0, scope="demo: ")


def watch_main(args: argparse.Namespace) -> int:
    from dantaro_tui.recording.cli import _console

    console = _console(stderr=False)  # alerts are the command's output: stdout
    try:
        return asyncio.run(_watch(args, console))
    except KeyboardInterrupt:
        return 130


class _Status:
    """`` WATCH  DEMO upbit KRW 00:01:23 | feeds ok 3/3 | 4 rules, 2 fired | 1 sent``"""

    def __init__(self, label: str, watch: Any) -> None:
        self.label = label
        self.watch = watch
        self.started = time.monotonic()

    def __rich__(self) -> Text:
        elapsed = int(time.monotonic() - self.started)
        h, rem = divmod(elapsed, 3600)
        m, s = divmod(rem, 60)
        text = Text()
        text.append(" WATCH ", style="bold black on yellow")
        text.append(f" {self.label} {h:02d}:{m:02d}:{s:02d}  ")
        feeds = self.watch.feeds()
        good = sum(f.state == "connected" for f in feeds)
        style = "green" if feeds and good == len(feeds) else "bold red"
        bad = sorted({f.state for f in feeds if f.state != "connected"})
        text.append(f"feeds {good}/{len(feeds)} live", style=style)
        if bad:
            text.append(f" ({', '.join(bad)})", style=style)
        rules = len(self.watch.engine.rules)
        text.append(f"  | {rules} rule(s), {self.watch.fired} fired  | ")
        health = self.watch.notifier.health()
        style = {"failing": "bold red", "retrying": "yellow"}.get(health.state, "")
        text.append(health.summary(), style=style)
        return text


async def _watch(args: argparse.Namespace, console: Console) -> int:
    from dantaro_tui.analytics.alerts import MarketRuleConfig
    from dantaro_tui.config import known_exchanges, load_config
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.recording.cli import wait_for_stop
    from dantaro_tui.recording.recorder import parse_duration
    from dantaro_tui.services.alerts import AlertService
    from dantaro_tui.services.notify import Notifier
    from dantaro_tui.services.watch_config import default_rules
    from dantaro_tui.services.watch_rules import WatchService

    cfg = load_config(args.config)
    for warning in cfg.warnings:
        console.print(Text(f"note: {warning}", style="yellow"))
    exchange = (args.exchange or cfg.exchange).lower()
    try:
        if exchange not in known_exchanges():
            raise ValueError(
                f"exchange {exchange!r} is not supported (known: {', '.join(known_exchanges())})"
            )
        duration = parse_duration(args.duration) if args.duration else None
        premiums = premiums_from(args)
        choice = chosen_source(args.source)
        if choice is not None and args.demo:
            if not choice.from_env:
                raise ValueError("--demo and --source name two different feeds; choose one")
            # The command line wins over the environment, and says so.
            console.print(
                Text(f"note: {ENV_SOURCE} is set, but --demo watches the simulator instead")
            )
            choice = None
        source = choice.url() if choice is not None else None
        hub = FeedHub(source=source) if source else FeedHub()
    except ValueError as exc:
        console.print(Text("error: ", style="bold red") + Text(str(exc)))
        return EXIT_USAGE
    quote = (args.quote or DEFAULT_QUOTES.get(exchange, "USDT")).upper()
    rules = cfg.watch_rules or default_rules()
    sim = None
    if args.demo:
        from dantaro_tui.sim.server import SimServer

        sim = SimServer(
            seed=args.seed,
            intensity=args.intensity,
            kimchi_premium=args.kimchi_premium,
            premiums=premiums,
        )
        try:
            await sim.start()
        except OSError as exc:
            console.print(Text(f"error: the demo simulator could not start: {exc}", style="red"))
            return EXIT_FAILED
        for name, urls in sim.endpoints.items():
            hub.set_endpoint(name, ws=urls.get("ws"), rest=urls.get("rest"))

    demo = bool(args.demo)
    if source is not None:
        demo = await _collector(hub, source, console)
    notifier = Notifier(cfg.notify, demo=demo)
    plain = args.quiet or not console.is_terminal

    def on_notice(notice: Notice, verdict: Verdict) -> None:
        if verdict in ("off", "cooldown", "duplicate", "capped"):
            # Counted on the status line (the cap is said once): a line each would bury
            # the alerts that did go out.
            return
        title, _body = render(notice, notifier.language)
        where = {
            "queued": "sending",
            "shown": "not sent: no [notify] urls",
            "overflow": "NOT SENT: queue full",
        }[verdict]
        stamp = time.strftime("%H:%M:%S")
        console.print(Text(f"{stamp} ALERT ", style="bold") + Text(f"{title}  ({where})"))

    notifier.on_notice = on_notice
    notifier.on_problem = lambda text: console.print(Text(f"note: {text}", style="yellow"))
    market_rules = MarketRuleConfig(
        move_threshold=cfg.scanner_threshold / 100.0, min_turnover_24h=cfg.alert_min_turnover
    )
    alerts = AlertService(hub, rules=market_rules, exchange=exchange, quote=quote)
    watch = WatchService(hub, rules, notifier, alert_service=alerts, exchange=exchange, demo=demo)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    label = f"{'DEMO' if demo else 'LIVE'} {exchange} {quote}" + (" via Redis" if source else "")
    watched = label
    if source is not None and choice is not None:
        from dantaro_tui.feed.redis_layout import redact

        # Which collector, and from where when no flag says it (an environment variable is
        # easily forgotten); never its password.
        watched += f" {redact(source)}" + (f" ({ENV_SOURCE})" if choice.from_env else "")
    targets = sorted({u for r in rules for u in notifier.targets(r)})
    # Text, never markup: "[notify]" and an exchange's or a receiver's words stay as written.
    console.print(
        Text(
            f"watching {watched} with {len(rules)} rule(s)"
            + (
                f"; alerts go to {len(targets)} destination(s)"
                if targets
                else "; no [notify] urls: alerts are printed only"
            )
        )
    )
    status = _Status(label, watch)
    live = None
    try:
        markets = await _markets(exchange, hub, console, stop)
        if stop.is_set():
            return EXIT_OK
        if any(r.kind in ("volume_spike", "pump", "dump") for r in rules):
            await alerts.watch(markets)
        await watch.start(markets)
        if not plain:
            from rich.live import Live

            live = Live(status, console=console, refresh_per_second=2, transient=False)
            live.start()
        await wait_for_stop(
            stop,
            duration,
            console,
            status,
            plain=plain and not args.quiet,
            every=PLAIN_STATUS_EVERY,
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await watch.close(drain_s=5.0)
        await alerts.close()
        await hub.close()
        if sim is not None:
            await sim.stop()
        if live is not None:
            live.stop()
    health = notifier.health()
    console.print(Text(f"watch ended: {watch.fired} alert(s) fired; {health.summary()}"))
    if health.unsent_at_exit:
        console.print(
            Text(
                f"note: {health.unsent_at_exit} alert(s) were still unsent at exit", style="yellow"
            )
        )
    return EXIT_FAILED if health.failed else EXIT_OK


async def _collector(hub: Any, url: str, console: Console) -> bool:
    """Look at the collectors on ``url`` once: do they serve the simulator (then the alerts
    say DEMO, and the market list is the simulator's)? A Redis that is not there is said,
    and the watch goes on: the feed rule tells when it stays away."""
    from dantaro_tui.exchanges import exchanges
    from dantaro_tui.feed.redis_layout import redact
    from dantaro_tui.feed.redis_source import probe

    problem, beats = await probe(url, exchanges())
    if problem:
        console.print(Text(f"note: {problem}; waiting for it", style="yellow"))
    elif not beats:
        console.print(
            Text(f"note: no collector is publishing to {redact(url)} yet", style="yellow")
        )
    demo = any(beat.demo for beat in beats.values())
    for exchange, beat in beats.items():
        if beat.demo and beat.rest_url:
            hub.set_endpoint(exchange, rest=beat.rest_url)
    return demo


async def _markets(exchange: str, hub: Any, console: Console, stop: asyncio.Event) -> list[Any]:
    """The market list (names for the messages, and the markets "every market" means);
    retried with backoff, said once, until it comes or the watch is stopped."""
    from dantaro_tui.feed.rest_venues import RestClient

    rest = RestClient(exchange, hub=hub)
    delay = 2.0
    said = False
    try:
        while not stop.is_set():
            try:
                return list(await asyncio.wait_for(rest.markets(), 20.0))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not said:
                    reason = getattr(exc, "message", "") or str(exc) or "no answer in time"
                    console.print(
                        Text(
                            f"note: cannot list {exchange}'s markets ({reason}); retrying",
                            style="yellow",
                        )
                    )
                    said = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30.0)
        return []
    finally:
        await rest.close()
