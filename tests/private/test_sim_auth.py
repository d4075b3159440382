"""The simulated exchange checks tokens as Upbit does and answers with Upbit's error bodies."""

from __future__ import annotations

import hashlib
import uuid

import jwt

from dantaro_tui.exchanges.upbit_private import query_string, sign
from dantaro_tui.sim.jwt_auth import ASSETS, ORDERS_READ
from tests.private.helpers import Exchange, call, creds_of, exchange, new_key


def forged(access_key: str, secret: str, query: str | None = None, nonce: str = "") -> str:
    claims = {"access_key": access_key, "nonce": nonce or str(uuid.uuid4())}
    if query is not None:
        claims["query_hash"] = hashlib.sha512(query.encode()).hexdigest()
        claims["query_hash_alg"] = "SHA512"
    return jwt.encode(claims, secret, algorithm="HS512")


def error_name(body: object) -> str:
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    return str(body["error"]["name"])


async def test_a_good_token_reads_the_balances(ex: Exchange) -> None:
    status, body = await call(ex.rest, "GET", "/v1/accounts", creds_of(ex.keys[0]))
    assert status == 200
    assert {row["currency"] for row in body} == {"KRW", "BTC"}


async def test_a_wrong_secret_is_refused_as_a_failed_signature(ex: Exchange) -> None:
    key = ex.keys[0]
    token = forged(key.access_key, "not the secret of this key, forty chars")
    status, body = await call(ex.rest, "GET", "/v1/accounts", None, token=token)
    assert (status, error_name(body)) == (401, "jwt_verification")


async def test_an_unknown_access_key_is_refused(ex: Exchange) -> None:
    status, body = await call(ex.rest, "GET", "/v1/accounts", creds_of(new_key()))
    assert (status, error_name(body)) == (401, "invalid_access_key")


async def test_a_nonce_is_accepted_once(ex: Exchange) -> None:
    key = ex.keys[0]
    token = forged(key.access_key, key.secret_key, nonce=str(uuid.uuid4()))
    first = await call(ex.rest, "GET", "/v1/accounts", None, token=token)
    again = await call(ex.rest, "GET", "/v1/accounts", None, token=token)
    assert first[0] == 200
    assert (again[0], error_name(again[1])) == (401, "nonce_used")


async def test_a_query_hash_of_other_parameters_is_refused(ex: Exchange) -> None:
    key = ex.keys[0]
    signed_for = query_string({"market": "KRW-ETH"})
    token = forged(key.access_key, key.secret_key, signed_for)
    status, body = await call(
        ex.rest, "GET", "/v1/orders/chance", None, {"market": "KRW-BTC"}, token=token
    )
    assert (status, error_name(body)) == (401, "invalid_query_payload")
    # ... and so is a token without any query_hash for a request with parameters.
    bare = forged(key.access_key, key.secret_key)
    status, body = await call(
        ex.rest, "GET", "/v1/orders/chance", None, {"market": "KRW-BTC"}, token=bare
    )
    assert (status, error_name(body)) == (401, "invalid_query_payload")


async def test_a_post_body_is_hashed_as_a_query_string(ex: Exchange) -> None:
    creds = creds_of(ex.keys[0])
    order = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": "1000000",
             "volume": "0.01"}  # fmt: skip
    status, body = await call(ex.rest, "POST", "/v1/orders", creds, order)
    assert status == 201 and body["state"] == "wait"
    tampered = sign(creds, query_string({**order, "volume": "0.02"}))
    status, body = await call(ex.rest, "POST", "/v1/orders", None, order, token=tampered)
    assert (status, error_name(body)) == (401, "invalid_query_payload")


async def test_a_key_without_a_permission_is_out_of_scope() -> None:
    key = new_key(permissions=frozenset({ORDERS_READ}))
    async for ex in exchange(key):
        status, body = await call(ex.rest, "GET", "/v1/accounts", creds_of(key))
        assert (status, error_name(body)) == (401, "out_of_scope")
        status, _ = await call(ex.rest, "GET", "/v1/orders/open", creds_of(key))
        assert status == 200
    key = new_key(permissions=frozenset({ASSETS}))
    async for ex in exchange(key):
        status, body = await call(ex.rest, "GET", "/v1/orders/open", creds_of(key))
        assert (status, error_name(body)) == (401, "out_of_scope")


async def test_orders_beyond_the_balance_are_refused_in_the_exchange_words(ex: Exchange) -> None:
    creds = creds_of(ex.keys[0])
    big = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": "900000000",
           "volume": "1"}  # fmt: skip
    status, body = await call(ex.rest, "POST", "/v1/orders", creds, big)
    assert (status, error_name(body)) == (400, "insufficient_funds_bid")
    tiny = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": "1000",
            "volume": "1"}  # fmt: skip
    status, body = await call(ex.rest, "POST", "/v1/orders", creds, tiny)
    assert (status, error_name(body)) == (400, "under_min_total_bid")
