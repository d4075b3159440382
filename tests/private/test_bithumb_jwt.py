"""Bithumb's tokens as Bithumb documents them: HS256, a millisecond ``timestamp`` beside the
access key and a fresh nonce, and Upbit's ``query_hash`` over the unencoded query."""

from __future__ import annotations

import hashlib
import time

import jwt

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges.bithumb_private import authorization, private_url, sign
from dantaro_tui.exchanges.upbit_private import query_string

SECRET = "b" * 40
CREDS = Credentials("bithumb", "bithumb-access-key", SECRET, "a test")


def claims(token: str) -> dict[str, object]:
    return jwt.decode(token, SECRET, algorithms=["HS256"])


def test_a_token_is_hs256_with_a_current_timestamp_and_a_fresh_nonce() -> None:
    before = int(time.time() * 1000)
    first, second = sign(CREDS), sign(CREDS)
    after = int(time.time() * 1000)
    assert jwt.get_unverified_header(first)["alg"] == "HS256"
    one, two = claims(first), claims(second)
    assert one["access_key"] == "bithumb-access-key"
    assert one["nonce"] != two["nonce"]
    stamp = one["timestamp"]
    assert isinstance(stamp, int) and before <= stamp <= after
    assert "query_hash" not in one


def test_query_hash_is_upbits_sha512_of_the_unencoded_query() -> None:
    query = query_string({"market": "KRW-BTC", "states": ["done", "cancel"]})
    got = claims(sign(CREDS, query))
    assert got["query_hash"] == hashlib.sha512(query.encode()).hexdigest()
    assert got["query_hash_alg"] == "SHA512"
    header = authorization(CREDS, query)["Authorization"]
    assert claims(header.removeprefix("Bearer "))["query_hash"] == got["query_hash"]


def test_the_private_socket_is_v2_beside_the_public_v1() -> None:
    assert private_url("wss://ws-api.bithumb.com/websocket/v1") == (
        "wss://ws-api.bithumb.com/websocket/v2/private"
    )
    assert private_url("ws://127.0.0.1:5/bithumb/websocket/v1/") == (
        "ws://127.0.0.1:5/bithumb/websocket/v2/private"
    )
    already = "wss://ws-api.bithumb.com/websocket/v2/private"
    assert private_url(already) == already
