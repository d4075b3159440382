"""ArbitrageScreen under Pilot: against the simulator with a known kimchi premium, and on
quotes pushed in by hand (sorting, sizes, alerts, the deviation/VWAP panel, the palette)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from textual.app import App
from textual.widgets import DataTable, RichLog

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.analytics.arbitrage import ArbAlertConfig, markets_for
from dantaro_tui.feed.collector import MarketDataCollector
from dantaro_tui.model import Level, OrderBook, Ticker, Trade
from dantaro_tui.sim import server as sim_server
from dantaro_tui.ui.arbitrage_commands import ArbitrageCommands, alias_score
from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen

SIM_COINS = ["BTC", "ETH", "XRP", "SOL", "DOGE"]


class Host(App[None]):
    COMMANDS = {*App.COMMANDS, ArbitrageCommands}  # noqa: RUF012

    def __init__(self, screen: ArbitrageScreen | None = None) -> None:
        super().__init__()
        self.arb = screen
        self.opened: list[str] = []

    def on_mount(self) -> None:
        if self.arb is not None:
            self.push_screen(self.arb)

    def open_market(self, symbol: str) -> None:
        self.opened.append(symbol)


async def until(
    pilot: Any, cond: Callable[[], bool], timeout: float = 15.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met in time: {what}")
        await pilot.pause(0.05)


def order(screen: ArbitrageScreen) -> list[str]:
    return [str(row.key.value) for row in screen.table.ordered_rows]


def cell(screen: ArbitrageScreen, coin: str, column: str) -> str:
    value = screen.table.get_cell(coin, column)
    return str(getattr(value, "plain", value))


# ---------------------------------------------------------------------------- the simulator


@pytest.fixture
async def kimchi_sim() -> AsyncIterator[sim_server.SimServer]:
    if "okx" not in sim_server.VENUES:
        pytest.skip("the simulator does not serve OKX yet")
    sim = sim_server.SimServer(seed=5, kimchi_premium=3.5, rate_limits=False)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def test_sim_premium_near_the_configured_one_and_sorting(
    kimchi_sim: sim_server.SimServer,
) -> None:
    screen = ArbitrageScreen(SIM_COINS, urls=kimchi_sim.endpoints, refresh_hz=10.0)
    app = Host(screen)
    async with app.run_test(size=(150, 45)) as pilot:
        await until(
            pilot,
            lambda: all(screen.rows.get(c) and screen.rows[c].premium_pct for c in SIM_COINS),
            what="a premium for every coin",
        )
        btc = screen.rows["BTC"]
        assert btc.premium_pct == pytest.approx(3.5, abs=0.6)
        assert screen.usdt_krw > 0
        assert btc.okx_krw == pytest.approx(btc.okx_usdt * screen.usdt_krw)
        await pilot.pause(0.3)
        shown = float(cell(screen, "BTC", "premium"))
        assert shown == pytest.approx(3.5, abs=0.6)
        assert cell(screen, "BTC", "src_upbit").startswith("ws")
        assert cell(screen, "BTC", "src_okx").startswith("ws")
        # The premium is far larger than 0.15 % of fees: buy OKX, sell Upbit nets ~3 %.
        await until(pilot, lambda: screen.rows["BTC"].best is not None, what="books")
        best = screen.rows["BTC"].best
        assert best is not None and best.buy_venue == "okx" and best.sell_venue == "upbit"
        assert best.net_pct == pytest.approx(3.5 - 0.15, abs=0.8)
        assert best.size > 0

        # Sort keys: by coin A to Z, reversed, then back to premium.
        while screen.sort_key != "coin":
            await pilot.press("o")
        await pilot.pause(0.2)
        assert order(screen) == sorted(SIM_COINS)
        await pilot.press("r")
        await pilot.pause(0.2)
        assert order(screen) == sorted(SIM_COINS, reverse=True)
        screen.set_sort("premium", reverse=False)
        await pilot.pause(0.3)
        prems = [screen.rows[c].premium_pct for c in order(screen)]
        assert prems == sorted(prems, reverse=True)  # type: ignore[type-var]

        assert kimchi_sim.connections >= 2  # Upbit and OKX
        await pilot.press("escape")
        await until(pilot, lambda: kimchi_sim.connections == 0, what="sockets closed")
        assert screen.collector is None  # stopped on unmount


# ---------------------------------------------------------------------------- hand-fed


def tk(exchange: str, symbol: str, price: float) -> Ticker:
    base, quote = (symbol.split("-")[1], "KRW") if exchange == "upbit" else symbol.split("-")
    return Ticker(
        exchange, symbol, base, quote, price, 0.0, 0.0, price, price, price, price, 0.0, 0.0, 1
    )


def bk(exchange: str, symbol: str, bid: float, ask: float, bsz: float, asz: float) -> OrderBook:
    base, quote = (symbol.split("-")[1], "KRW") if exchange == "upbit" else symbol.split("-")
    return OrderBook(
        exchange, symbol, base, quote, (Level(bid, bsz),), (Level(ask, asz),), bsz, asz, 1
    )


def feed(c: MarketDataCollector, exchange: str, symbol: str, px: float, sz: float = 1.0) -> None:
    c.ingest(tk(exchange, symbol, px))
    c.ingest(bk(exchange, symbol, px * 0.9999, px * 1.0001, sz, sz))


def fed_collector(premiums: dict[str, float], usdt: dict[str, float]) -> MarketDataCollector:
    """A collector (never started) holding Upbit/OKX quotes with the given premiums (%)."""
    c = MarketDataCollector(markets_for(list(premiums)))
    feed(c, "upbit", "KRW-USDT", 1_400.0)
    for coin, prem in premiums.items():
        feed(c, "okx", f"{coin}-USDT", usdt[coin], 2.0)
        feed(c, "upbit", f"KRW-{coin}", usdt[coin] * 1_400.0 * (1 + prem / 100), 0.5)
    return c


PREMS = {"BTC": 3.0, "ETH": -1.0, "XRP": 5.5, "SOL": 0.5}
USDT = {"BTC": 100_000.0, "ETH": 3_500.0, "XRP": 2.0, "SOL": 150.0}


async def test_rows_sorting_alerts_and_panel_on_fed_quotes() -> None:
    c = fed_collector(PREMS, USDT)
    got: list[Alert] = []
    screen = ArbitrageScreen(
        list(PREMS),
        collector=c,
        global_venue="okx",  # the fed quotes are OKX's
        refresh_hz=20.0,
        analysis_every=0.2,
        alert_config=ArbAlertConfig(premium_pct=5.0, spread_pct=10.0, cooldown_s=0),
        on_alert=got.append,
    )
    app = Host(screen)
    async with app.run_test(size=(150, 45)) as pilot:
        await until(pilot, lambda: len(screen.rows) == 4, what="rows")
        await pilot.pause(0.2)
        assert screen.usdt_krw == pytest.approx(1_400.0)
        for coin, prem in PREMS.items():
            assert screen.rows[coin].premium_pct == pytest.approx(prem, abs=1e-6)
            assert float(cell(screen, coin, "premium")) == pytest.approx(prem, abs=0.006)
        # Sizes come from the books, in coins: OKX ask 2.0 vs Upbit bid 0.5.
        assert screen.rows["BTC"].size == pytest.approx(0.5)
        assert cell(screen, "BTC", "route") == "OKX→Upbit"
        assert cell(screen, "ETH", "route") == "Upbit→OKX"
        assert cell(screen, "BTC", "src_okx").startswith("ws")

        assert order(screen) == ["XRP", "BTC", "SOL", "ETH"]  # premium, highest first
        await pilot.press("r")
        await pilot.pause(0.15)
        assert order(screen) == ["ETH", "SOL", "BTC", "XRP"]
        await pilot.press("o")  # -> net spread
        await pilot.pause(0.15)
        assert screen.sort_key == "spread" and not screen.reverse
        assert order(screen) == ["XRP", "BTC", "ETH", "SOL"]  # |premium| minus fees
        screen.set_sort("coin")
        await pilot.pause(0.15)
        assert order(screen) == ["BTC", "ETH", "SOL", "XRP"]

        # The cursor stays on its coin through a re-sort.
        screen.table.move_cursor(row=order(screen).index("SOL"))
        screen.set_sort("premium")
        await pilot.pause(0.15)
        assert screen.cursor_coin() == "SOL"

        # XRP was already above 5 % when first seen: not a crossing. BTC crossing is.
        assert got == []
        feed(c, "upbit", "KRW-BTC", USDT["BTC"] * 1_400.0 * 1.052, 0.5)
        await until(pilot, lambda: bool(got), what="a premium alert")
        await pilot.pause(0.3)
        assert [(a.kind, a.market) for a in got] == [("premium", "KRW-BTC")]
        log = screen.query_one("#arb-alerts", RichLog)
        logged = " ".join(line.text for line in log.lines)
        assert "PREMIUM BTC premium +5.20%" in logged and "147,280,000 KRW" in logged
        # Lowering the threshold below ETH's reverse premium fires the discount alert once.
        for _ in range(8):
            await pilot.press("left_square_bracket")
        assert screen.alerts.config.premium_pct == pytest.approx(1.0)
        await until(pilot, lambda: any(a.kind == "discount" for a in got), what="discount")
        await pilot.pause(0.3)
        assert sum(a.kind == "discount" for a in got) == 1

        # VWAP panel from trades (OKX prices in USDT, converted at the live rate).
        now_ms = int(time.time() * 1000)
        c.ingest(Trade("upbit", "KRW-SOL", "SOL", "KRW", 211_000.0, 2.0, "buy", "1", now_ms))
        c.ingest(Trade("okx", "SOL-USDT", "SOL", "USDT", 150.0, 2.0, "sell", "2", now_ms))
        await pilot.pause(0.6)
        panel = screen.query_one("#arb-analysis", DataTable)
        assert panel.row_count >= 4
        frame = screen._analysis
        assert frame is not None
        assert frame.loc["SOL", "vwap_okx"] == pytest.approx(210_000.0)
        assert frame.loc["SOL", "vwap"] == pytest.approx(210_500.0)

        # enter opens the coin's KRW market and leaves the screen.
        screen.table.focus()
        sol_row = order(screen).index("SOL")
        screen.table.move_cursor(row=sol_row)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.opened == ["KRW-SOL"]
        assert app.screen is not screen
        assert screen.collector is None  # let go, but not stopped: the test owns it


async def test_a_venue_without_data_shows_dashes() -> None:
    c = MarketDataCollector(markets_for(["BTC"]))
    feed(c, "upbit", "KRW-BTC", 140_000_000.0)  # no OKX, no USDT rate
    screen = ArbitrageScreen(["BTC"], collector=c, refresh_hz=20.0, global_venue="okx")
    async with Host(screen).run_test(size=(150, 40)) as pilot:
        await until(pilot, lambda: "BTC" in screen.rows, what="row")
        await pilot.pause(0.1)
        assert screen.rows["BTC"].premium_pct is None
        assert cell(screen, "BTC", "premium") == "—"
        assert cell(screen, "BTC", "src_okx") == "—"
        assert cell(screen, "BTC", "src_upbit").startswith("ws")


# ---------------------------------------------------------------------------- palette


def test_palette_aliases() -> None:
    for q in ("kimchi", "Arbitrage", "김프", "차익", "kim", "arb"):
        assert alias_score(q) > 0, q
    assert alias_score("btc") == 0 and alias_score("") == 0


async def test_palette_opens_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    # No network: the screen the palette pushes gets a hand-fed collector.
    c = fed_collector(PREMS, USDT)
    real_init = ArbitrageScreen.__init__

    def init(self: ArbitrageScreen, *args: Any, **kw: Any) -> None:
        kw.setdefault("collector", c)
        real_init(self, list(PREMS), *args[1:], **kw)

    monkeypatch.setattr(ArbitrageScreen, "__init__", init)
    for query in ("kimchi", "arbitrage"):
        await _open_from_palette(query)


async def _open_from_palette(query: str) -> None:
    app = Host()
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        await pilot.press(*query)
        await pilot.pause(0.4)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ArbitrageScreen), what=query)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ArbitrageScreen)


async def test_coins_listed_on_both_are_discovered(kimchi_sim: sim_server.SimServer) -> None:
    from dantaro_tui.ui.screens.arbitrage import discover_coins

    coins = await discover_coins(kimchi_sim.endpoints, max_coins=12)
    assert len(coins) == 12 and "BTC" in coins and "USDT" not in coins
    assert len(set(coins)) == 12


async def test_binance_by_default_then_okx_and_gateio_with_v(
    kimchi_sim: sim_server.SimServer,
) -> None:
    """The premium traders quote is against Binance; ``v`` compares with OKX, then Gate.io,
    and each venue's rows use that venue's own prices and fee, never the last venue's."""
    screen = ArbitrageScreen(["BTC", "ETH"], urls=kimchi_sim.endpoints, refresh_hz=10.0)
    app = Host(screen)
    async with app.run_test(size=(150, 45)) as pilot:
        venues = (("binance", "Binance", 0.1), ("okx", "OKX", 0.1), ("gateio", "Gate.io", 0.2))
        for venue, name, fee in venues:
            if venue != "binance":
                await pilot.press("v")
            await until(pilot, lambda v=venue: screen.global_venue == v, what=venue)
            assert name in str(screen.query_one("#arb-title").render())
            assert f"{name} USDT" in [str(c.label) for c in screen.table.columns.values()]
            assert screen.fees.okx_pct == fee
            await until(
                pilot,
                lambda: all(
                    screen.rows.get(c) and screen.rows[c].premium_pct for c in SIM_COINS[:2]
                ),
                what=f"premiums against {name}",
            )
            q = screen.quote("okx", "BTC")
            assert q is not None and q.exchange == venue
            assert screen.rows["BTC"].premium_pct == pytest.approx(3.5, abs=0.6)
            await until(pilot, lambda: screen.rows["BTC"].best is not None, what="books")
            best = screen.rows["BTC"].best
            assert best is not None and best.net_pct == pytest.approx(3.5 - 0.05 - fee, abs=0.8)
