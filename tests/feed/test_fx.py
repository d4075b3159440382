"""The bank USD/KRW rate: fixed, from the simulator's endpoint, or from a URL that answers
badly (every bad answer counted and said in one sentence; a rate that stopped updating is
no rate at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from dantaro_tui.feed.fx import BankRate, FxError, extract_rate
from dantaro_tui.sim.server import SimServer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fx_server() -> AsyncIterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    """A tiny HTTP server whose reply the test sets: (status, body)."""
    reply: dict[str, tuple[int, bytes]] = {"now": (200, b'{"rates": {"KRW": 1380.5}}')}

    async def handler(request: web.Request) -> web.Response:
        status, body = reply["now"]
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/usdkrw", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/usdkrw", reply
    finally:
        await runner.cleanup()


def test_a_fixed_rate_and_no_rate() -> None:
    fixed = BankRate(1380.5)
    reading = fixed.reading()
    assert reading is not None and (reading.rate, reading.source) == (1380.5, "fixed")
    assert not BankRate().configured and BankRate().reading() is None
    assert "bank_rate" in BankRate().describe()  # says how to set one


async def test_the_simulators_rate_is_read_and_goes_stale_when_it_stops() -> None:
    sim = SimServer(seed=2, venues=["upbit"])
    await sim.start()
    clock = Clock()
    bank = BankRate(clock=clock)
    try:
        await bank.point_at(sim.fx_url, every=60.0, label="simulator")
        rate = await bank.fetch_once()
        assert rate == pytest.approx(sim.bank_rate(), rel=1e-3)
        reading = bank.reading()
        assert reading is not None and reading.source == "simulator"
        clock.now += bank.max_age - 1
        assert bank.reading() is not None
        clock.now += 2  # nothing new for longer than max_age: no rate, not an old one
        assert bank.reading() is None and bank.rate() is None
    finally:
        await bank.close()
        await sim.stop()


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, b"<html>maintenance</html>", "not JSON"),
        (200, b'{"rates": {"JPY": 150.1}}', "no rate"),
        (200, b'{"rate": 13.805}', "not a USD/KRW rate"),
        (200, b'{"rate": "NaN"}', "not a positive number"),
        (200, b'{"rate": -1380}', "not a positive number"),
        (503, b"{}", "HTTP 503"),
    ],
)
async def test_a_bad_answer_is_counted_and_said_never_used(
    fx_server: tuple[str, dict[str, tuple[int, bytes]]], status: int, body: bytes, words: str
) -> None:
    url, reply = fx_server
    bank = BankRate(url=url)
    try:
        assert await bank.fetch_once() == 1380.5  # the "rates.KRW" shape of common FX APIs
        reply["now"] = (status, body)
        with pytest.raises(FxError, match=words):
            await bank.fetch_once()
        assert bank.errors == 1 and words in bank.last_error and "\n" not in bank.last_error
        reading = bank.reading()
        assert reading is not None and reading.rate == 1380.5  # the last good one, still fresh
    finally:
        await bank.close()


async def test_an_unreachable_url_is_said() -> None:
    bank = BankRate(url="http://127.0.0.1:9/usdkrw", timeout=5.0)
    try:
        with pytest.raises(FxError, match="cannot reach"):
            await bank.fetch_once()
        assert bank.reading() is None and bank.errors == 1
    finally:
        await bank.close()


def test_the_rate_is_found_where_fx_apis_put_it() -> None:
    assert extract_rate(b"1380.5") == 1380.5
    assert extract_rate(b'{"conversion_rates": {"KRW": 1391.2}}') == 1391.2
    assert extract_rate(b'{"data": {"usd": {"krw": "1,402.10"}}}', "data.usd.krw") == 1402.1
    with pytest.raises(FxError, match=r"field 'data\.krw'"):
        extract_rate(b'{"data": {}}', "data.krw")
