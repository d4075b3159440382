"""The status bar's kimchi premium: ``김프 BTC +3.9%  테더 +3.1%  USD 1,400  USDT 1,411``
from live Upbit KRW-BTC, KRW-USDT and Binance BTCUSDT tickers, the headline against the
bank rate and the tether premium beside it; ``김프 –`` the moment an input is missing or
has been quiet for 10 s, never an old number as if it were live."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from textual.color import Color

from dantaro_tui.config import load_config
from dantaro_tui.feed.fx import BankRate
from dantaro_tui.feed.hub import default_hub
from dantaro_tui.services.premium import PremiumService
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from tests.ui.test_app import (  # noqa: F401  (offline is a fixture)
    SIZE,
    T0,
    make_app,
    offline,
    push,
    started,
    ticker,
    until,
)

KRW_BTC = 145_500_000.0
BTC_USDT = 100_000.0
USDT_KRW = 1_411.0  # 145.5M / (100k x 1,411) - 1 = +3.12 %
BANK = 1_400.0  # 145.5M / (100k x 1,400) - 1 = +3.93 %: the headline


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def status(app: DantaroApp) -> str:
    cockpit = app.cockpit
    assert cockpit is not None
    cockpit.status.sample()  # what the once-a-second repaint shows
    return str(cockpit.status.render())


def feed(service: PremiumService, *, btc: bool = True, rate: bool = True, okx: bool = True) -> None:
    if service.bank.fixed is None:
        service.bank = BankRate(BANK)  # as if [premium] bank_rate = 1400 were set
    if btc:
        push(service.upbit, ticker("KRW-BTC", KRW_BTC, t=T0))
    if rate:
        push(service.upbit, ticker("KRW-USDT", USDT_KRW, t=T0))
    if okx:
        binance = ticker("BTC-USDT", BTC_USDT, t=T0)
        push(service.okx, msgspec.structs.replace(binance, exchange="binance", symbol="BTCUSDT"))


@pytest.mark.usefixtures("offline")
async def test_premium_and_rate_from_upbit_and_binance_on_the_apps_hub() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.premium_service
        assert service.upbit.hub is app.hub and service.okx.hub is app.hub
        # Binance: the reference traders quote the premium against.
        assert (service.upbit.exchange, service.okx.exchange) == ("upbit", "binance")
        await until(lambda: service.okx.subscriptions.get("ticker"), pilot)
        assert service.upbit.subscriptions["ticker"] == {"KRW-BTC", "KRW-USDT"}
        assert service.okx.subscriptions["ticker"] == {"BTCUSDT"}
        assert "김프 –" in status(app)  # nothing yet
        feed(service)
        await until(lambda: "김프 BTC" in status(app), pilot)
        assert "김프 BTC +3.9%  테더 +3.1%  USD 1,400  USDT 1,411" in status(app)


@pytest.mark.usefixtures("offline")
async def test_a_missing_input_shows_a_dash() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.premium_service
        await until(lambda: service.okx.subscriptions.get("ticker"), pilot)
        feed(service, okx=False)  # OKX never answered
        await until(lambda: "USDT 1,411" in status(app), pilot)
        assert "김프 –" in status(app) and "%" not in status(app).split("USDT")[0]


@pytest.mark.usefixtures("offline")
async def test_a_stale_input_shows_a_dash_not_the_old_number() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.premium_service
        clock = Clock()
        service.clock = clock
        await until(lambda: service.okx.subscriptions.get("ticker"), pilot)
        feed(service)
        await until(lambda: "김프 BTC +3.9%" in status(app), pilot)
        clock.now += 9.0  # quiet, but within 10 s: still live
        assert "김프 BTC +3.9%  테더 +3.1%" in status(app)
        feed(service, okx=False)  # Upbit keeps trading, OKX goes quiet
        await pilot.pause()
        clock.now += 2.0  # OKX's last ticker is 11 s old
        text = status(app)
        assert "김프 –" in text and "+3.9%" not in text and "+3.1%" not in text
        assert "USDT 1,411" in text  # the rate itself is live
        clock.now += 20.0  # everything quiet
        text = status(app)
        assert "김프 –" in text and "1,411" not in text
        feed(service)  # back
        await until(lambda: "김프 BTC +3.9%" in status(app), pilot)


@pytest.mark.usefixtures("offline")
async def test_the_premium_takes_the_themes_rising_colour() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.premium_service
        await until(lambda: service.okx.subscriptions.get("ticker"), pilot)
        feed(service)
        await until(lambda: "김프 BTC" in status(app), pilot)
        seen = {}
        for theme in ("dantaro-dark", "dantaro-korea"):
            app.theme = theme
            await pilot.pause()
            cell = app.cockpit.status.premium_cell()  # type: ignore[union-attr]
            assert cell.plain.startswith("김프 BTC +3.9%  테더 +3.1%")
            style = cell.get_style_at_offset(app.console, 0)
            assert style.color is not None and style.color.triplet is not None
            seen[theme] = style.color.triplet.hex
            assert seen[theme] == Color.parse(app.theme_variables["price-up"]).hex.lower()
        red, green, blue = Color.parse(seen["dantaro-korea"]).rgb
        assert red > green and red > blue  # rising is red in the Korean theme
        assert seen["dantaro-dark"] != seen["dantaro-korea"]


async def test_the_demo_simulator_gives_a_live_premium(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The real simulator (Upbit + OKX) at a 3.5 % kimchi premium: the bar reads about it."""
    monkeypatch.setenv("DANTARO_CONFIG", str(tmp_path / "config.toml"))
    cfg = load_config(tmp_path / "config.toml", env={})
    session = DemoSession(seed=4, kimchi_premium=3.5)
    app = DantaroApp(cfg, mode="demo", session=session, persist=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await asyncio.wait_for(app.started.wait(), 10)
            service = app.premium_service
            await until(lambda: service.reading().premium is not None, pilot, timeout=15)
            reading = service.reading()
            assert reading.premium is not None and reading.usdt_krw is not None
            assert 0.025 < reading.premium < 0.045
            assert "김프 BTC +" in status(app)
    finally:
        default_hub().clear_endpoints()
