"""The bottom status bar: a DEMO / LIVE / REPLAY badge, the BTC kimchi premium against the
bank rate with the tether premium beside it, and the rates (``김프 BTC +3.5%  테더 +3.1%
USD 1,381  USDT 1,411``, from the app's ``PremiumService``; ``김프 –`` while an input is
missing or stale), and every feed client's health.

Once a second it reads the app's feed hub (cheap snapshots of counters the connections
and owners keep on the hot path) and repaints one line. It also notices changes a trader
must hear about (a feed lost, back, gone quiet, an exchange error) and posts them as
``StatusBar.HealthEvent`` for the app's alert log and notifications.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual.widget import Widget

from dantaro_tui.feed.health import HealthSnapshot
from dantaro_tui.feed.health import worst as worst_state
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.services.premium import PremiumReading, PremiumService, premium_parts
from dantaro_tui.ui.feeds import app_hub

Mode = Literal["demo", "live", "replay"]
Severity = Literal["information", "warning", "error"]

GLYPH = {
    "connected": "●",
    "connecting": "◌",
    "waiting": "◔",
    "reconnecting": "◐",
    "stale": "◑",
    "idle": "○",
    "closed": "✕",
}


def short_name(name: str) -> str:
    """``chart-3`` -> ``c3``, ``orderbook`` -> ``book``: status cells stay narrow."""
    if name.startswith("chart-"):
        return "c" + name[6:]
    return {"orderbook": "book", "order-book": "book", "trade-tape": "tape"}.get(name, name)


def fmt_rate(msgs_30s: int) -> str:
    rate = msgs_30s / 30.0
    if rate >= 1000:
        return f"{rate / 1000:.1f}k/s"
    return f"{rate:.0f}/s" if rate >= 10 else f"{rate:.1f}/s"


def fmt_latency(ms: float) -> str:
    if ms < 0:
        return "–"
    return f"{ms / 1000:.1f}s" if ms >= 1000 else f"{ms:.0f}ms"


def private_health(hub: FeedHub) -> list[HealthSnapshot]:
    """The private streams (my orders, my balances) of every owner that has them."""
    out = []
    for client in hub.clients():
        snap = client.private_health()
        if snap is not None and snap.state not in ("idle", "closed"):
            out.append(snap)
    return out


def live_health(hub: FeedHub) -> list[HealthSnapshot]:
    """Every client still in use: a closed client belongs to a pane that is gone (a chart
    removed by a layout change) and only waits for the garbage collector."""
    return [h for h in hub.health() if h.state != "closed"]


WAITING_TOLD_AFTER_S = 5.0  # past the hub's confirm timeout (3 s): the request was asked again


class HealthWatcher:
    """Turns successive health snapshots into the events a trader should hear about."""

    def __init__(self) -> None:
        self._state: dict[str, str] = {}
        self._errors: dict[str, int] = {}
        # Feeds told lost or stale: told back once data flows again, even when the 1 s
        # samples see the reconnect end in "waiting" (confirmation by data), not in one step.
        self._lost: set[str] = set()
        # Feeds that went from connected to waiting, and since when: a feed that adds
        # markets waits for their first data (30 Gate.io books sync one by one), which is
        # no news unless it lasts.
        self._waiting_since: dict[str, float] = {}

    def update(
        self, snaps: list[HealthSnapshot], now: float | None = None
    ) -> list[tuple[str, Severity]]:
        now = time.monotonic() if now is None else now
        out: list[tuple[str, Severity]] = []
        for s in snaps:
            since = self._waiting_since.get(s.name)
            if s.state != "waiting":
                self._waiting_since.pop(s.name, None)
            elif since is not None and now - since >= WAITING_TOLD_AFTER_S:
                out.append((f"{s.name}: waiting for the exchange to confirm data", "warning"))
                self._waiting_since[s.name] = float("inf")  # told once
            before = self._state.get(s.name)
            errors_before = self._errors.get(s.name, 0)
            self._state[s.name] = s.state
            self._errors[s.name] = s.errors
            if s.errors > errors_before and s.last_error:
                out.append((f"{s.name}: {s.last_error}", "warning"))
            if s.state in ("reconnecting", "stale"):
                self._lost.add(s.name)
            if before is None or before == s.state:
                continue
            if s.state == "reconnecting" and before in ("connected", "stale"):
                out.append((f"{s.name}: connection lost, reconnecting", "warning"))
            elif s.state == "stale":
                out.append((f"{s.name}: no data for a while (feed is stale)", "warning"))
            elif s.state == "waiting" and before == "connected":
                self._waiting_since[s.name] = now
            elif s.state == "connected" and s.name in self._lost:
                out.append((f"{s.name}: connection restored", "information"))
            if s.state == "connected":
                self._lost.discard(s.name)
        for gone in set(self._state) - {s.name for s in snaps}:
            self._state.pop(gone, None)
            self._waiting_since.pop(gone, None)
            self._errors.pop(gone, None)
            self._lost.discard(gone)
        return out


class StatusBar(Widget):
    """One line: badge, totals, then one compact cell per client."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
    }
    """

    class HealthEvent(Message):
        def __init__(self, text: str, severity: Severity) -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    def __init__(
        self,
        mode: Mode = "live",
        *,
        source: Callable[[], list[HealthSnapshot]] | None = None,
        premium: Callable[[], PremiumReading | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.mode: Mode = mode
        self.source = source or (lambda: live_health(app_hub(self)))
        self.premium_source = premium or self._app_premium
        self.premium: PremiumReading | None = None
        self.notice = ""  # e.g. "cannot reach Upbit: try --demo"
        self.snapshots: list[HealthSnapshot] = []
        self.private: list[HealthSnapshot] = []  # my orders / my balances streams
        self.watcher = HealthWatcher()
        self.frozen = False  # snapshot tests: keep the numbers still

    def on_mount(self) -> None:
        self.sample()
        self.set_interval(1.0, self.sample)
        self.watch(self.app, "theme", self._repaint, init=False)

    def _repaint(self) -> None:
        self.refresh()

    def set_notice(self, text: str) -> None:
        if text != self.notice:
            self.notice = text
            self.refresh()

    def sample(self) -> None:
        if self.frozen:
            return
        try:
            snaps = self.source()
        except Exception:  # pragma: no cover - health must never break the screen
            return
        self.snapshots = snaps
        self.private = private_health(app_hub(self))
        try:
            self.premium = self.premium_source()
        except Exception:  # pragma: no cover - a figure must never break the screen
            self.premium = None
        for text, severity in self.watcher.update(snaps):
            self.post_message(self.HealthEvent(text, severity))
        self.refresh()

    def _app_premium(self) -> PremiumReading | None:
        service = getattr(self.app, "premium_service", None)
        return service.reading() if isinstance(service, PremiumService) else None

    def premium_cell(self) -> Text:
        """``김프 BTC +3.5%  테더 +3.1%  USD 1,381  USDT 1,411`` (the headline, against the
        bank rate, in the theme's rising / falling colour); ``김프 –`` while it is not live."""
        reading = self.premium
        value = reading.bank_premium if reading is not None else None
        head, *rest = premium_parts(reading)
        if value is None or value == 0:
            colour = self._colour("price-flat", "#8B949E")
        elif value > 0:
            colour = self._colour("price-up", "#3FB950")
        else:
            colour = self._colour("price-down", "#F85149")
        text = Text(head, style=Style(color=colour.rich_color, bold=True))
        for part in rest:
            text.append("  " + part)
        return text

    def _colour(self, name: str, fallback: str) -> Color:
        try:
            return Color.parse(self.app.theme_variables.get(name, fallback))
        except Exception:
            return Color.parse(fallback)

    def badge(self) -> Text:
        label = {"demo": " DEMO ", "live": " LIVE ", "replay": " REPLAY "}[self.mode]
        # A replay shows the recorded clock, so nobody reads old prices as today's.
        clock_ns = getattr(getattr(self.app, "session", None), "clock_ns", 0)
        if self.mode == "replay" and clock_ns:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(clock_ns / 1e9))
            label = f" REPLAY {stamp} "
        bg = self._colour(f"badge-{self.mode}", "#D6A828" if self.mode == "demo" else "#3FB950")
        fg = Color.parse("#000000") if bg.brightness > 0.5 else Color.parse("#FFFFFF")
        text = Text()
        text.append(label, style=Style(color=fg.rich_color, bgcolor=bg.rich_color, bold=True))
        return text

    def render(self) -> Text:
        snaps = self.snapshots
        ok = self._colour("success", "#3FB950")
        warn = self._colour("warning", "#D29922")
        err = self._colour("error", "#F85149")
        dim = self._colour("foreground", "#D8DEE9").blend(self._colour("panel", "#1F2630"), 0.4)
        colour = {
            "connected": ok,
            "connecting": warn,
            "waiting": warn,
            "reconnecting": warn,
            "stale": warn,
            "idle": dim,
            "closed": err,
        }
        text = self.badge()
        text.append(" ")
        if self.notice:
            text.append(self.notice + "  ", style=Style(color=err.rich_color, bold=True))
        text.append_text(self.premium_cell())
        text.append("  ")
        if self.private:  # the account's own streams: a refused key must be seen
            state = worst_state([s.state for s in self.private])
            word = "" if state == "connected" else f" {state}"
            c = colour.get(state, dim)
            text.append(f"{GLYPH.get(state, '?')}계좌{word}  ", style=Style(color=c.rich_color))
        live = sum(1 for s in snaps if s.state == "connected")
        active = [s for s in snaps if s.state != "idle"]
        total_30s = sum(s.msgs_30s for s in snaps)
        lat = [s.latency_ms for s in snaps if s.latency_ms >= 0]
        # In a replay, receive times are today's and exchange times are the recording's.
        live_clock = self.mode != "replay"
        worst = max(lat) if lat and live_clock else -1.0
        reconnects = sum(s.reconnects for s in snaps)
        errors = sum(s.errors for s in snaps)
        state_colour = ok if active and live == len(active) else warn if live else err
        if not snaps:
            state_colour = dim
        text.append(f"feeds {live}/{len(active)} ", style=Style(color=state_colour.rich_color))
        text.append(f"{fmt_rate(total_30s)} ", style=Style(bold=True))
        text.append(f"lat≤{fmt_latency(worst)} ", style=Style(color=dim.rich_color))
        text.append(f"↻{reconnects} ", style=Style(color=(warn if reconnects else dim).rich_color))
        text.append(f"⚠{errors}", style=Style(color=(err if errors else dim).rich_color))
        unread = getattr(getattr(self.app, "alert_service", None), "unread", 0)
        if unread:  # alerts not yet seen in the log (``a``)
            text.append(f" ⚑ {unread} new", style=Style(color=warn.rich_color, bold=True))
        for s in snaps:
            if s.state == "idle" and not s.messages:
                continue
            text.append(" │ ", style=Style(color=dim.rich_color))
            c = colour.get(s.state, dim)
            text.append(GLYPH.get(s.state, "?"), style=Style(color=c.rich_color))
            latency = fmt_latency(s.latency_ms if live_clock else -1.0)
            text.append(f"{short_name(s.name)} {fmt_rate(s.msgs_30s)} {latency}")
        text.truncate(max(1, self.size.width), overflow="ellipsis")
        return text


def age_text(snap: HealthSnapshot, now: float | None = None) -> str:
    if not snap.last_message:
        return "never"
    age = (time.time() if now is None else now) - snap.last_message
    return f"{age:.1f}s ago" if age < 60 else f"{age / 60:.0f}m ago"
