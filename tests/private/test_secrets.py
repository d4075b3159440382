"""A secret key never shows: not in logs, health, recordings, reprs or a traceback's locals;
keys come from the environment or a file only its owner can read."""

from __future__ import annotations

import io
import logging
import os
import pickle
import sys
import traceback
from pathlib import Path

import pytest
from rich.console import Console
from rich.traceback import Traceback

from dantaro_tui import credentials as cr
from dantaro_tui.feed.account_rest import AccountClient
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.rest import RestError
from dantaro_tui.recording.format import Recording
from dantaro_tui.recording.recorder import Recorder
from tests.private.helpers import Exchange, call, creds_of, new_key, until


def assert_hidden(text: str, secret: str) -> None:
    assert secret not in text
    assert "Bearer ey" not in text  # no token either: a token is a key for one request


async def test_logs_health_and_reprs_never_show_the_secret(
    ex: Exchange, caplog: pytest.LogCaptureFixture
) -> None:
    key = ex.keys[0]
    caplog.set_level(logging.DEBUG)  # websockets logs every handshake header at DEBUG
    client = WebSocketClient("bot", hub=ex.hub, credentials=creds_of(key))
    events: list[object] = []
    await client.subscribe_my_order(events.append)
    await client.subscribe_my_asset(events.append)
    async with AccountClient(creds_of(key), hub=ex.hub) as account:
        await account.accounts()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Authorization" in logged  # the header was logged, its value redacted
    assert_hidden(logged, key.secret_key)
    shown = repr([ex.hub.health(), ex.hub.connection_health(), client.private_health()])
    assert "upbit/private" in shown  # the private socket is in the health view...
    assert_hidden(shown, key.secret_key)  # ... without its key
    creds = creds_of(key)
    for text in (repr(creds), str(creds), f"{creds.secret_key}", repr(client), repr(account)):
        assert_hidden(text, key.secret_key)
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    await client.cleanup()


async def test_a_recording_says_a_private_stream_existed_and_nothing_of_it(
    ex: Exchange, tmp_path: Path
) -> None:
    key = ex.keys[0]
    recorder = Recorder(tmp_path / "rec").start(ex.hub)
    client = WebSocketClient("bot", hub=ex.hub, credentials=creds_of(key))
    orders: list[object] = []
    await client.subscribe_my_order(orders.append)
    status, _ = await call(ex.rest, "POST", "/v1/orders", creds_of(key), {
        "market": "KRW-BTC", "side": "bid", "ord_type": "price", "price": "20000",
    })  # fmt: skip
    assert status == 201
    await until(lambda: len(orders) >= 2)
    await client.cleanup()
    await until(lambda: ex.sim.connections == 0)
    recorder.close()
    records = list(Recording(tmp_path / "rec").records())
    private = [r for r in records if r.url.endswith("/private")]
    assert any(r.type == "connect" for r in private)
    conns = {r.conn for r in private}
    # Not one frame of the account (orders, balances) and not the request that named them.
    assert not [r for r in records if r.conn in conns and r.type in ("recv", "send")]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "rec").rglob("*") if p.is_file())
    assert key.secret_key.encode() not in raw
    dump = "\n".join(repr(r) for r in records)
    assert_hidden(dump, key.secret_key)


async def test_a_traceback_with_locals_does_not_hold_the_secret(ex: Exchange) -> None:
    key = new_key()  # unknown to the exchange: the call fails inside the signing client
    account = AccountClient(creds_of(key), hub=ex.hub)
    try:
        await account.accounts()
    except RestError as exc:
        error = exc
    else:
        raise AssertionError("an unknown key was accepted")
    finally:
        await account.close()
    assert "does not know this access key" in error.message
    plain = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert_hidden(plain, key.secret_key)
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(
        Traceback.from_exception(type(error), error, error.__traceback__, show_locals=True)
    )
    assert_hidden(console.export_text(), key.secret_key)


def test_keys_come_from_the_environment_in_pairs() -> None:
    env = {"DANTARO_UPBIT_ACCESS_KEY": "ak", "DANTARO_UPBIT_SECRET_KEY": "a-secret-of-a-test"}
    loaded = cr.load("upbit", environ=env)
    assert loaded is not None and loaded.access_key == "ak"
    assert loaded.secret_key.reveal() == "a-secret-of-a-test"
    assert cr.load("upbit", environ={}) is None
    with pytest.raises(cr.CredentialsError, match="DANTARO_UPBIT_SECRET_KEY is set") as err:
        cr.load("upbit", environ={"DANTARO_UPBIT_SECRET_KEY": "a-secret-of-a-test"})
    assert "a-secret-of-a-test" not in str(err.value)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_keys_file_is_refused_unless_only_its_owner_can_read_it(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[upbit]\naccess_key = "ak-file"\nsecret_key = "secret-in-a-file"\n')
    os.chmod(path, 0o644)
    with pytest.raises(cr.CredentialsError, match="chmod 600") as err:
        cr.load("upbit", file=path)
    assert "secret-in-a-file" not in str(err.value)
    os.chmod(path, 0o600)
    loaded = cr.load("upbit", file=path)
    assert loaded is not None and loaded.access_key == "ak-file"
    assert loaded.secret_key.reveal() == "secret-in-a-file"
    # The file named in the environment, and a broken file said without its contents.
    assert cr.load("upbit", environ={cr.KEYS_FILE_ENV: str(path)}) == loaded
    path.write_text('[upbit]\naccess_key = "ak-file"\nsecret_key = secret-unquoted\n')
    with pytest.raises(cr.CredentialsError, match="not valid TOML") as err:
        cr.load("upbit", file=path)
    assert "secret-unquoted" not in str(err.value)
