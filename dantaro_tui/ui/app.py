"""The dantaro-tui App: startup, global bindings, and the wiring between screens.

Kept small on purpose: the cockpit (``screens/main.py``) owns the layout and the pane keys,
widgets own their feeds, ``run.py`` owns the command line and the demo simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, ClassVar, Literal, Protocol

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from dantaro_tui.analytics.alerts import Alert, MarketRuleConfig
from dantaro_tui.config import (
    INTERVALS,
    KOREAN_THEME,
    KOREAN_THEME_NOTE,
    LAYOUTS,
    THEMES,
    Config,
    known_exchanges,
    load_themes,
    save_config,
)
from dantaro_tui.credentials import Credentials
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Candle, Market
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.services.premium import PremiumService
from dantaro_tui.ui.arbitrage_commands import ArbitrageCommands
from dantaro_tui.ui.commands import PALETTE_CSS, MarketsProvider, market_palette
from dantaro_tui.ui.memory import settle_gc
from dantaro_tui.ui.notify_toggle import CockpitNotify
from dantaro_tui.ui.screens.alerts import AlertPosted, AlertsScreen
from dantaro_tui.ui.screens.health import HealthScreen
from dantaro_tui.ui.screens.help import HelpScreen, help_sections
from dantaro_tui.ui.screens.main import CockpitScreen
from dantaro_tui.ui.widgets.base import PANE_THEME_DEFAULTS
from dantaro_tui.ui.widgets.chart import ChartView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.status import StatusBar
from dantaro_tui.venues import split_ref, venue_name

Mode = Literal["demo", "live", "replay"]


class Session(Protocol):
    """Starts what the feeds need before any pane connects (the demo simulator, a
    recorder) and stops it at exit."""

    async def start(self, app: DantaroApp) -> None: ...

    async def stop(self) -> None: ...


class RestLike(Protocol):
    async def markets(self) -> list[Market]: ...

    async def candles(self, symbol: str, interval: str = ..., count: int = ...) -> list[Candle]: ...

    async def close(self) -> None: ...


VENUE_RETRY_S = 30.0  # a venue's market list that failed to load is asked for again after


def _default_rest(exchange: str, hub: FeedHub) -> RestLike:
    from dantaro_tui.feed.rest_venues import RestClient

    return RestClient(exchange, hub=hub)


def _import_analytics() -> None:
    import dantaro_tui.analytics.indicators  # noqa: F401


class DantaroApp(App[int]):
    CSS_PATH = "app.tcss"
    CSS = PALETTE_CSS
    TITLE = "dantaro-tui"
    COMMANDS: ClassVar[set[Any]] = {*App.COMMANDS, MarketsProvider, ArbitrageCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", tooltip="this list of keys"),
        Binding("h", "health", "Health", tooltip="every connection in detail"),
        Binding(
            "dollar_sign",
            "account",
            "Account",
            show=False,  # the footer is full; the help and the palette list it
            tooltip="my balances, open orders and fills",
        ),
        Binding(
            "a", "alerts", "Alerts", tooltip="the log of pumps, dumps, volume spikes, feed problems"
        ),
        Binding(
            "k",
            "arbitrage",
            "Kimchi",
            tooltip="kimchi premium and arbitrage: Upbit vs Binance (OKX, Gate.io)",
        ),
        Binding(
            "K",
            "premium_matrix",
            "Premium matrix",
            show=False,  # the footer is full; the help and the palette list it
            tooltip="kimchi premium of Upbit, Bithumb, Coinone vs Binance, OKX, Gate.io",
        ),
        Binding(
            "t",
            "next_theme",
            "Theme",
            tooltip="next theme (dark, light, high contrast, Korean red-up/blue-down)",
        ),
        Binding(
            "n",
            "toggle_notify",
            "Notify",
            show=False,
            tooltip="send the watch alerts to your phone ([notify] urls) on/off",
        ),
        Binding("q", "quit", "Quit", tooltip="settings are saved"),
    ]

    def __init__(
        self,
        config: Config,
        *,
        mode: Mode = "live",
        session: Session | None = None,
        rest_factory: Callable[[str], RestLike] | None = None,
        persist: bool = True,
        hub: FeedHub | None = None,
        tune_gc: bool = False,
    ) -> None:
        super().__init__()
        self.tune_gc = tune_gc  # the process is this app's alone (not a test runner)
        # The app's one feed hub: every pane's client shares its connections.
        self.hub = hub or FeedHub()
        # Account keys held in memory only (the demo's paper account), by exchange; the
        # account views fall back to the environment or the keys file.
        self.account_keys: dict[str, Credentials] = {}
        self.account_label = ""
        self.config = config
        self.mode: Mode = mode
        self.session = session
        self.rest_factory = rest_factory or (lambda exchange: _default_rest(exchange, self.hub))
        self.persist = persist
        self.rest: RestLike | None = None
        self.markets: dict[str, Market] = {}
        # The other venues panes are on: their REST clients and market lists, on demand.
        self._venue_rest: dict[str, RestLike] = {}
        self._venue_markets: dict[str, dict[str, Market]] = {}
        self._venue_loads: dict[str, asyncio.Task[dict[str, Market]]] = {}
        # After a failed load, when a pane's repaint may ask again: the panes ask on every
        # paint, and an unreachable venue must not be asked 15 times a second.
        self._venue_retry_at: dict[str, float] = {}
        # Every alert (markets, arbitrage, feeds) in one service that runs whatever screen
        # is open; it reaches the UI as one AlertPosted message (``_alert_posted``).
        rules = MarketRuleConfig(
            move_threshold=config.scanner_threshold / 100.0,
            min_turnover_24h=config.alert_min_turnover,
        )
        self.alert_service = AlertService(
            self.hub,
            rules=rules,
            exchange=config.exchange,
            toast_kinds=config.alert_toasts,  # kinds to toast; [] = none
        )
        self.alert_service.listen(self._post_alert)
        self.alerts: deque[Alert] = self.alert_service.log
        # The BTC kimchi premium of the status bar (Upbit vs Binance) against the bank rate
        # ([premium] bank_rate; the simulator's in the demo) and the tether rate.
        self.premium_service = PremiumService(self.hub, bank=config.premium.bank())
        # The [[watch]] alerts sent away (Telegram, ntfy...) by the cockpit itself.
        self.notify_away = CockpitNotify(self)
        self.started = asyncio.Event()
        self._save_timer: Timer | None = None
        self._recent_notes: dict[str, float] = {}
        self.sub_title = {"demo": "DEMO (simulated prices)", "replay": "REPLAY"}.get(mode, "LIVE")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts never read markup: their text can carry an exchange's or a file's words
        (``[/]`` would raise inside Textual, ``[link=...]`` would forge a link)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- startup / shutdown ------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {
            **super().get_theme_variable_defaults(),
            **PANE_THEME_DEFAULTS,
            "chart-grid": "#30363d",
            "badge-demo": "#d6a828",
            "badge-live": "#3fb950",
            "badge-replay": "#a371f7",
        }

    async def on_mount(self) -> None:
        themes, problems = load_themes()
        for theme in themes.values():
            self.register_theme(theme)
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            fallback = "dantaro-dark" if "dantaro-dark" in self.available_themes else "textual-dark"
            problems.append(f"theme {self.config.theme!r} not found; using {fallback}")
            self.theme = fallback
        for text in [*self.config.warnings, *problems]:
            self.notify(text, title="Settings", severity="warning", timeout=8)
        if self.config.korean_default and self.theme == KOREAN_THEME:
            # First start in a Korean locale: said once (the saved file keeps the theme).
            self.config.korean_default = False
            self.notify(KOREAN_THEME_NOTE, title="Theme", timeout=8)
            self.save_soon()
        if self.session is not None:
            try:
                await self.session.start(self)
            except Exception as exc:
                self.notify(f"{exc}", title="Could not start", severity="error", timeout=30)
        self.rest = self.rest_factory(self.config.exchange)
        cockpit = CockpitScreen(
            self.config,
            mode=self.mode,
            history=self.history,
            markets=self.markets.values(),
            alert_service=self.alert_service,
            exchange_name=self.exchange_name,
        )
        await self.push_screen(cockpit)
        self.run_worker(self._load_markets(), group="markets", exclusive=True, exit_on_error=False)
        self.run_worker(self.premium_service.start(), group="premium", exit_on_error=False)
        self.notify_away.start_if_configured()
        # pandas (chart overlays) takes ~0.3 s to import: do it off the UI thread, after the
        # first data is on screen, so the first VWAP/Bollinger key is not the one that waits.
        self.set_timer(2.0, self._warm_imports)
        self.started.set()

    def _warm_imports(self) -> None:
        self.run_worker(_import_analytics, thread=True, group="warm", exit_on_error=False)
        if self.tune_gc:
            settle_gc()

    async def on_unmount(self) -> None:
        # Closing must never fail the exit.
        for rest in [self.rest, *self._venue_rest.values()]:
            if rest is not None:
                with contextlib.suppress(Exception):
                    await rest.close()
        with contextlib.suppress(Exception):
            await self.alert_service.close()
        with contextlib.suppress(Exception):
            await self.premium_service.close()
        with contextlib.suppress(Exception):
            await self.notify_away.close()
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self.session.stop()
        with contextlib.suppress(Exception):
            await self.hub.close()

    @property
    def exchange_name(self) -> str:
        return venue_name(self.config.exchange)

    async def _load_markets(self) -> None:
        delay = 2.0
        failures = 0
        while self.rest is not None:
            try:
                markets = await asyncio.wait_for(self.rest.markets(), 20.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.mode == "replay":
                    self.notify(
                        "This recording holds no market list: names and the scanner stay empty.",
                        title="Replay",
                        timeout=10,
                    )
                    return
                failures += 1
                reason = getattr(exc, "message", "") or str(exc) or "no answer in time"
                if failures == 1:
                    hint = (
                        " Check your network, or run `dantaro-tui --demo` for simulated data."
                        if self.mode == "live" and "--demo" not in reason
                        else ""
                    )
                    self.notify(
                        f"Cannot reach {self.exchange_name}: {reason}.{hint}",
                        title="No market list",
                        severity="error",
                        timeout=20,
                    )
                    self.add_alert(f"cannot reach {self.exchange_name}: {reason}", toast=False)
                notice = f"cannot reach {self.exchange_name}" + (
                    " — try --demo" if self.mode == "live" else ""
                )
                self._status_notice(notice)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            self.markets = {m.symbol: m for m in markets}
            self._status_notice("")
            if failures:
                self.notify(f"{self.exchange_name} is reachable again", timeout=5)
            cockpit = self.cockpit
            if cockpit is not None:
                cockpit.markets_loaded(markets)
            try:
                await self.alert_service.watch(markets)
            except Exception as exc:
                self.tell(f"alerts: cannot watch the markets: {exc}", "Alerts")
            return

    # -- what the panes ask of the app -----------------------------------------------------
    async def history(self, symbol: str, interval: str, count: int) -> list[Candle]:
        """Candles of ``symbol`` (``binance:BTCUSDT`` for another venue than the home one)."""
        exchange, code = split_ref(symbol, self.config.exchange)
        rest = self.rest_for(exchange)
        if rest is None:
            return []
        return await rest.candles(code, interval=interval, count=count)

    def rest_for(self, exchange: str) -> RestLike | None:
        if exchange == self.config.exchange:
            return self.rest
        rest = self._venue_rest.get(exchange)
        if rest is None:
            rest = self._venue_rest[exchange] = self.rest_factory(exchange)
        return rest

    def market(self, symbol: str, exchange: str | None = None) -> Market | None:
        if exchange is None or exchange == self.config.exchange:
            return self.markets.get(symbol)
        return self.venue_markets(exchange).get(symbol)

    @property
    def home_exchange(self) -> str:
        return self.config.exchange

    def venue_markets(self, exchange: str) -> dict[str, Market]:
        """The market list of ``exchange`` as far as it is known now; the first ask starts
        loading it (``load_venue_markets`` waits for it)."""
        if exchange == self.config.exchange:
            return self.markets
        if (
            exchange not in self._venue_markets
            and exchange not in self._venue_loads
            and time.monotonic() >= self._venue_retry_at.get(exchange, 0.0)
        ):
            self._start_venue_load(exchange)
        return self._venue_markets.get(exchange, {})

    def loaded_venue_markets(self) -> dict[str, dict[str, Market]]:
        """The other venues' lists loaded so far (none is started by asking)."""
        return {k: v for k, v in self._venue_markets.items() if v}

    async def load_venue_markets(self, exchange: str) -> dict[str, Market]:
        if exchange == self.config.exchange:
            return self.markets
        if exchange in self._venue_markets:
            return self._venue_markets[exchange]
        task = self._venue_loads.get(exchange) or self._start_venue_load(exchange)
        return await asyncio.shield(task)

    def _start_venue_load(self, exchange: str) -> asyncio.Task[dict[str, Market]]:
        task = asyncio.create_task(self._fetch_venue(exchange), name=f"markets:{exchange}")
        self._venue_loads[exchange] = task
        return task

    async def _fetch_venue(self, exchange: str) -> dict[str, Market]:
        try:
            rest = self.rest_for(exchange)
            markets = await asyncio.wait_for(rest.markets(), 20.0) if rest else []
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = getattr(exc, "message", "") or str(exc) or "no answer in time"
            self.tell(f"cannot load the {venue_name(exchange)} market list: {reason}", "Markets")
            self._venue_retry_at[exchange] = time.monotonic() + VENUE_RETRY_S
            return {}  # asked again after VENUE_RETRY_S by the next ask
        finally:
            self._venue_loads.pop(exchange, None)
        got = {m.symbol: m for m in markets}
        if not got:  # an empty list is no list: asked again later, not kept for good
            self._venue_retry_at[exchange] = time.monotonic() + VENUE_RETRY_S
            return got
        self._venue_markets[exchange] = got
        cockpit = self.cockpit
        if cockpit is not None:
            cockpit.venue_markets_loaded(exchange, markets)
        return got

    @property
    def cockpit(self) -> CockpitScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, CockpitScreen):
                return screen
        return None

    def open_market(self, symbol: str) -> None:
        cockpit = self.cockpit
        if cockpit is not None:
            cockpit.open_market(symbol)

    def pick_symbol(self) -> None:
        self.push_screen(market_palette())

    def _status_notice(self, text: str) -> None:
        for bar in self._status_bars():
            bar.set_notice(text)

    def _status_bars(self) -> Iterable[StatusBar]:
        for screen in self.screen_stack:
            yield from screen.query(StatusBar)

    # -- alerts --------------------------------------------------------------------------------
    def add_alert(self, text: str, market: str = "", *, toast: bool = True) -> None:
        """Log a feed problem; ``toast=False`` when the caller has shown it already."""
        if not toast:
            self._recent_notes[text.split(": ", 1)[-1]] = time.monotonic()
        self.alert_service.connection(text, int(time.time() * 1000), market)

    def _post_alert(self, alert: Alert) -> None:
        self.post_message(AlertPosted(alert))

    @on(AlertPosted)
    def _alert_posted(self, message: AlertPosted) -> None:
        """The one way alerts reach the UI: logged already (the alert screen and the
        status bar's "⚑ N new" read the service); a toast only for the kinds the user
        asked for (``alert_toasts``; default: feed problems, calmly)."""
        alert = message.alert
        for bar in self._status_bars():
            bar.refresh()
        if not self.alert_service.should_toast(alert):
            return
        # Once a minute per cause: seven clients failing for one reason make one toast.
        cause = alert.message.split(": ", 1)[-1]
        now = time.monotonic()
        if now - self._recent_notes.get(cause, -1e9) < 60.0:
            return
        self._recent_notes[cause] = now
        severity: SeverityLevel = "warning"
        if alert.kind == "connection" and ("restored" in cause or "again" in cause):
            severity = "information"
        title = "Feed" if alert.kind == "connection" else alert.kind.replace("_", " ").title()
        self.notify(alert.message, title=title, severity=severity, timeout=5)

    def tell(self, text: str, title: str, severity: Any = "warning", market: str = "") -> None:
        """Log ``text`` as a feed alert; it toasts (once a minute per cause) through
        ``_alert_posted`` when feed alerts are toasted."""
        self.add_alert(text, market)

    @on(StatusBar.HealthEvent)
    def _health_event(self, message: StatusBar.HealthEvent) -> None:
        self.tell(message.text, "Feed", message.severity)

    @on(ChartView.Problem)
    def _chart_problem(self, message: ChartView.Problem) -> None:
        chart = message.chart
        self.tell(message.text, f"Chart {chart.index}", "warning", chart.symbol)

    @on(ScannerView.VenueRequested)
    def _scanner_venue(self, message: ScannerView.VenueRequested) -> None:
        self.list_venue(message.exchange, message.scanner)

    def list_venue(self, exchange: str, scanner: ScannerView | None = None) -> None:
        """The scanner lists ``exchange``'s markets (once its market list is in)."""
        target = scanner
        if target is None and self.cockpit is not None:
            target = self.cockpit.scanner
        if target is not None:
            self.run_worker(
                self._list_venue(target, exchange),
                group="scanner-venue",
                exclusive=True,
                exit_on_error=False,
            )

    async def _list_venue(self, scanner: ScannerView, exchange: str) -> None:
        markets = await self.load_venue_markets(exchange)
        if not markets:
            self.notify(
                f"The {venue_name(exchange)} market list is not available: the scanner "
                "stays where it was.",
                title="Scanner",
                severity="warning",
            )
            return
        scanner.set_venue(exchange, list(markets.values()))
        self.notify(f"Scanner: {venue_name(exchange)} markets", timeout=1.5)

    @on(CockpitScreen.SettingsChanged)
    def _settings_changed(self) -> None:
        self.save_soon()

    # -- settings --------------------------------------------------------------------------------
    def save_soon(self) -> None:
        """Write the settings a second from now (many changes in a row: one write)."""
        if not self.persist:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(1.0, self.save_now)

    def save_now(self) -> bool:
        if not self.persist:
            return False
        try:
            save_config(self.config)
        except OSError as exc:
            self.notify(f"Settings not saved: {exc.strerror or exc}", severity="warning")
            return False
        return True

    def watch_theme(self, theme: str) -> None:
        if self.started.is_set() and self.config.theme != theme:
            self.config.theme = theme
            self.save_soon()

    # -- actions -------------------------------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_sections(self)))

    def action_account(self) -> None:
        from dantaro_tui.ui.screens.account import AccountScreen

        if not isinstance(self.screen, AccountScreen):
            self.push_screen(AccountScreen())

    def action_health(self) -> None:
        if not isinstance(self.screen, HealthScreen):
            self.push_screen(HealthScreen(self.mode))

    def action_toggle_notify(self) -> None:
        self.notify_away.toggle()

    def action_alerts(self) -> None:
        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.alert_service, on_open=self.open_market))

    def open_arbitrage(self) -> None:
        """The palette's "Kimchi premium / arbitrage" (ArbitrageCommands) opens it here."""
        self.action_arbitrage()

    def action_arbitrage(self) -> None:
        from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen

        if not isinstance(self.screen, ArbitrageScreen):
            self.push_screen(ArbitrageScreen(on_alert=self.alert_service.add))

    def action_premium_matrix(self) -> None:
        from dantaro_tui.ui.screens.premium_matrix import PremiumMatrixScreen

        if not isinstance(self.screen, PremiumMatrixScreen):
            self.push_screen(
                PremiumMatrixScreen(service=self.premium_service, settings=self.config.premium)
            )

    def action_next_theme(self) -> None:
        names = [t for t in THEMES if t in self.available_themes] or list(self.available_themes)
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=1.5)

    async def action_quit(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self.save_now()
        self.exit(0)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Open market", "Search markets by code or name", self.pick_symbol)
        yield SystemCommand("Health", "Feed health: every connection", self.action_health)
        yield SystemCommand(
            "Account", "My balances, open orders and fills (read-only)", self.action_account
        )
        yield SystemCommand("Alerts", "The alert log", self.action_alerts)
        yield SystemCommand(
            "Send alerts away (on/off)",
            f"The [[watch]] alerts to your phone, now {self.notify_away.status()}",
            self.action_toggle_notify,
        )
        # "Kimchi premium / arbitrage" comes from ArbitrageCommands (once, with its aliases).
        yield SystemCommand(
            "Premium matrix: Korean vs global venues",
            "Upbit, Bithumb, Coinone vs Binance, OKX, Gate.io against bank and tether rates (K)",
            self.action_premium_matrix,
        )
        yield SystemCommand("Help", "Every key binding", self.action_help)
        for name in THEMES:
            if name in self.available_themes:
                yield SystemCommand(f"Theme: {name}", "Switch theme", self._setter("theme", name))
        cockpit = self.cockpit
        if cockpit is None:
            return
        for layout in LAYOUTS:
            yield SystemCommand(
                f"Layout {layout}", "Chart grid", self._run(cockpit.set_layout, layout)
            )
        for interval in INTERVALS:
            yield SystemCommand(
                f"Interval {interval}",
                "For the active chart",
                self._change_interval(cockpit, interval),
            )
        yield SystemCommand(
            "Toggle VWAP", "Chart overlay", lambda: cockpit.action_toggle_overlay("vwap")
        )
        yield SystemCommand(
            "Toggle Bollinger bands",
            "Chart overlay",
            lambda: cockpit.action_toggle_overlay("bollinger"),
        )
        yield SystemCommand("Sort scanner", "By the next column", cockpit.action_scanner_sort)
        for exchange in known_exchanges():
            yield SystemCommand(
                f"Scanner: {venue_name(exchange)} markets",
                "List this exchange's markets in the scanner (x in the scanner)",
                partial(self.list_venue, exchange),
            )
        yield SystemCommand("Link focused pane", "Next link group", cockpit.action_cycle_link)

    def _setter(self, attr: str, value: Any) -> Callable[[], None]:
        return lambda: setattr(self, attr, value)

    def _run(self, fn: Callable[[Any], Awaitable[None]], arg: Any) -> Callable[[], None]:
        def run() -> None:
            self.run_worker(fn(arg), exit_on_error=False)

        return run

    @staticmethod
    def _change_interval(cockpit: CockpitScreen, interval: str) -> Callable[[], None]:
        def change() -> None:
            chart = cockpit.active_chart
            if chart is not None:
                chart.change_interval(interval)

        return change
