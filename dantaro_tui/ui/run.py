"""``dantaro-tui [flags]``: the trading cockpit.

``--demo`` starts the built-in simulator inside the app's own event loop, on loopback, and
points every feed client and REST call at it before the first pane connects; the status
bar then wears a DEMO badge so simulated prices are never taken for real ones. If the
simulator cannot start, nothing falls back to the real exchange: the app says why.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from dantaro_tui.cli_flags import (
    ENV_SOURCE,
    add_intensity_arg,
    add_premium_args,
    chosen_source,
    premiums_from,
)
from dantaro_tui.config import (
    INTERVALS,
    LAYOUTS,
    THEMES,
    ConfigNotSaved,
    load_config,
    save_config,
)
from dantaro_tui.exchanges import exchanges

if TYPE_CHECKING:
    from dantaro_tui.ui.app import Mode

log = logging.getLogger(__name__)

# Where a demo app's feeds point when its simulator failed: loopback port 9 ("discard"),
# which refuses connections, so a failed demo can never reach a real exchange.
DEAD_END = {"ws": "ws://127.0.0.1:9/websocket/v1", "rest": "http://127.0.0.1:9/v1"}


def add_tui_args(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in simulated exchange (no network, prices are NOT real)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the demo market")
    add_intensity_arg(parser)
    add_premium_args(parser, kimchi_default=3.0, scope="demo: ")
    parser.add_argument("--theme", help=f"colour theme: {', '.join(THEMES)}")
    parser.add_argument("--layout", choices=LAYOUTS, help="chart grid (default 2x2)")
    parser.add_argument(
        "--symbols",
        help="comma-separated markets for charts 1.., e.g. KRW-BTC,binance:BTCUSDT "
        "(a venue prefix puts a chart on another exchange: binance:, okx:, gateio:, "
        "bithumb:, coinone:)",
    )
    parser.add_argument("--interval", choices=INTERVALS, help="interval of every chart")
    parser.add_argument("--record", metavar="DIR", help="also record every raw feed frame to DIR")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="settings file (default: the platform config dir; env DANTARO_CONFIG)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write settings back at exit")
    parser.add_argument(
        "--source",
        metavar="URL",
        help="take the feeds from a collector (dantaro-tui collect) on Redis: redis://host:6379,"
        " rediss:// for TLS, or 'redis' for $DANTARO_REDIS_URL (keeps a password out of ps);"
        f" default ${ENV_SOURCE}",
    )
    parser.add_argument(
        "--fallback",
        choices=("none", "direct"),
        default="none",
        help="with --source: when Redis cannot be reached at start, 'direct' uses the "
        "exchanges instead (default none: say why and stop)",
    )


class DemoSession:
    """Runs the simulator in the app's event loop and points every client at it."""

    def __init__(
        self,
        seed: int = 1,
        intensity: float = 1.0,
        recorder: Any = None,
        kimchi_premium: float = 3.0,
        premiums: dict[str, float] | None = None,
        venue_noise: float = 1.0,
    ) -> None:
        self.seed = seed
        self.intensity = intensity
        self.kimchi_premium = kimchi_premium
        self.premiums = dict(premiums or {})
        self.venue_noise = venue_noise
        self.recorder = recorder
        self.sim: Any = None

    async def start(self, app: Any) -> None:
        try:
            from dantaro_tui.sim.server import SimServer

            self.sim = SimServer(
                host="127.0.0.1",
                port=0,
                seed=self.seed,
                kimchi_premium=self.kimchi_premium,
                intensity=self.intensity,
                premiums=self.premiums,
                venue_noise=self.venue_noise,
            )
            await self.sim.start()
        except Exception as exc:
            # Every venue: a demo pane must never reach a real exchange.
            for exchange in exchanges():
                app.hub.set_endpoint(exchange, **DEAD_END)
            raise RuntimeError(f"the demo simulator could not start: {exc}") from exc
        for exchange, urls in self.sim.endpoints.items():
            app.hub.set_endpoint(exchange, ws=urls.get("ws"), rest=urls.get("rest"))
        from dantaro_tui.ui.paper_demo import open_paper_account

        open_paper_account(self.sim, app)  # `$` and the account pane show it, keys in memory
        # Simulated won against a real bank rate would be a made-up premium: the demo's
        # bank rate is the simulator's own.
        bank = getattr(getattr(app, "premium_service", None), "bank", None)
        if bank is not None:
            await bank.point_at(self.sim.fx_url, every=5.0, label="simulator")
        start_recorder(self.recorder, app)

    async def stop(self) -> None:
        stop_recorder(self.recorder)
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None


class LiveSession:
    def __init__(self, recorder: Any = None) -> None:
        self.recorder = recorder

    async def start(self, app: Any) -> None:
        start_recorder(self.recorder, app)

    async def stop(self) -> None:
        stop_recorder(self.recorder)


def make_recorder(folder: str | None, args: argparse.Namespace) -> tuple[Any, str]:
    """A Recorder for ``--record DIR``, or (None, why not)."""
    if not folder:
        return None, ""
    try:
        from dantaro_tui.recording.recorder import Recorder
    except ImportError:
        return None, "recording is not available in this build"
    try:
        recorder = Recorder(
            folder,
            source="tui-demo" if args.demo else "tui",
            requested={"exchange": "upbit", "demo": bool(args.demo), "seed": args.seed},
        )
    except Exception as exc:
        return None, f"cannot record to {folder}: {exc}"
    return recorder, ""


def start_recorder(recorder: Any, app: Any) -> None:
    if recorder is None:
        return
    try:
        recorder.start(app.hub)
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc)
        app.notify(f"Recording is off: {message}", title="Recorder", severity="error")
        return
    app.notify(f"Recording raw frames to {recorder.folder}", title="Recorder", timeout=5)
    app.run_worker(
        record_market_list(recorder, app.hub, app.config.exchange),
        group="recorder",
        exit_on_error=False,
    )


async def record_market_list(recorder: Any, hub: Any, exchange: str) -> None:
    """Keep the exchange's market list in the recording (as ``record`` does), so a replay
    of it shows names and a full scanner. A nicety: the recording does not depend on it."""
    import asyncio
    import contextlib

    from dantaro_tui.recording.cli import fetch_markets

    with contextlib.suppress(Exception):
        fetched = fetch_markets(exchange, hub.rest_url(exchange), [])
        _, url, body = await asyncio.wait_for(fetched, 15.0)
        recorder.record_rest(exchange, url, body)


def stop_recorder(recorder: Any) -> None:
    if recorder is None:
        return
    try:
        recorder.close()
    except Exception:  # pragma: no cover - exiting must not fail on the recorder
        log.exception("closing the recorder failed")


def config_from_args(args: argparse.Namespace) -> Any:
    overrides: dict[str, Any] = {}
    if getattr(args, "theme", None):
        overrides["theme"] = args.theme
    if getattr(args, "layout", None):
        overrides["layout"] = args.layout
    if getattr(args, "symbols", None):
        overrides["symbols"] = args.symbols
    if getattr(args, "interval", None):
        overrides["intervals"] = [args.interval] * 9
    if getattr(args, "cockpit_exchange", None):  # a replay: the recording's exchange
        overrides["exchange"] = args.cockpit_exchange
    return load_config(getattr(args, "config", None), overrides=overrides)


def tui_main(args: argparse.Namespace) -> int:
    from dantaro_tui.ui.app import DantaroApp

    logging.basicConfig(level=logging.WARNING, handlers=[logging.NullHandler()])
    cfg = config_from_args(args)
    recorder, why = make_recorder(getattr(args, "record", None), args)
    if why:
        cfg.warnings.append(why)
    session: Any
    mode: Mode
    hub = None
    try:
        premiums = premiums_from(args)
    except ValueError as exc:
        print(f"dantaro-tui: {exc}", file=sys.stderr)
        return 2
    replay = getattr(args, "replay_server", None) is not None
    source = None if replay else chosen_source(getattr(args, "source", None))
    if source is not None and args.demo:
        if not source.from_env:
            print("dantaro-tui: --source and --demo: pick one (collect --demo)", file=sys.stderr)
            return 2
        # The command line wins over the environment, and says so: prices are simulated.
        cfg.warnings.append(f"{ENV_SOURCE} is set, but --demo shows the simulator instead")
        source = None
    if source is not None:
        from dantaro_tui.ui.redis_session import open_source

        hub, note, error = open_source(source.value, getattr(args, "fallback", "none"))
        if hub is None:
            print(f"dantaro-tui: {source.explain(error)}", file=sys.stderr)
            return 1
        if note:
            cfg.warnings.append(source.explain(note))
        elif source.from_env and hub.source is not None:
            from dantaro_tui.feed.redis_layout import redact

            # Nothing on the command line says where the prices come from: the start does.
            cfg.warnings.append(f"feeds from the collector at {redact(hub.source)} ({ENV_SOURCE})")
        if hub.source is not None and recorder is not None:
            # No exchange frame crosses this process: the collector can record (--record).
            cfg.warnings.append("--record: nothing to record, the feeds come from Redis")
            recorder = None
    if hub is not None and hub.source is not None:
        from dantaro_tui.ui.redis_session import RedisSession

        session, mode = RedisSession(), "live"
    elif getattr(args, "replay_server", None) is not None:
        from dantaro_tui.recording.cli import ReplaySession

        session = ReplaySession(args.replay_server)
        mode = "replay"
    elif args.demo:
        session = DemoSession(
            args.seed,
            getattr(args, "intensity", 1.0),
            recorder,
            kimchi_premium=getattr(args, "kimchi_premium", 3.0),
            premiums=premiums,
        )
        mode = "demo"
    else:
        session = LiveSession(recorder)
        mode = "live"
    # A replay shows the recording's markets: it is not the trader's session, and what is
    # changed while watching it is not written back to their settings.
    persist = not args.no_save and mode != "replay"
    app = DantaroApp(cfg, mode=mode, session=session, tune_gc=True, persist=persist, hub=hub)
    app.run()
    if persist:
        try:
            save_config(app.config)
        except ConfigNotSaved as exc:  # the file could not be read: it is kept as it was
            print(f"dantaro-tui: settings not saved: {exc}", file=sys.stderr)
        except OSError as exc:
            print(f"dantaro-tui: settings not saved to {app.config.path}: {exc}", file=sys.stderr)
    code = app.return_code
    return int(code or 0)
