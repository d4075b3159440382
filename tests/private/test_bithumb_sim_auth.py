"""The simulated Bithumb checks tokens as Bithumb documents it (HS256, a ``timestamp``
claim) and answers with Bithumb's error names."""

from __future__ import annotations

import hashlib
import time
import uuid

import jwt

from dantaro_tui.exchanges.bithumb_private import sign
from dantaro_tui.exchanges.upbit_private import query_string
from tests.private.helpers import Exchange, call, creds_of, new_key


def forged(
    access_key: str,
    secret: str,
    query: str | None = None,
    *,
    nonce: str = "",
    timestamp: int | None = None,
    algorithm: str = "HS256",
) -> str:
    claims: dict[str, object] = {"access_key": access_key, "nonce": nonce or str(uuid.uuid4())}
    if timestamp is not None:
        claims["timestamp"] = timestamp
    if query is not None:
        claims["query_hash"] = hashlib.sha512(query.encode()).hexdigest()
        claims["query_hash_alg"] = "SHA512"
    return jwt.encode(claims, secret, algorithm=algorithm)


def now_ms() -> int:
    return int(time.time() * 1000)


def error_name(body: object) -> str:
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    return str(body["error"]["name"])


async def test_a_good_token_reads_the_balances(bithumb: Exchange) -> None:
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", bithumb.creds())
    assert status == 200
    assert {row["currency"] for row in body} == {"KRW", "BTC"}


async def test_a_token_without_a_timestamp_is_refused(bithumb: Exchange) -> None:
    key = bithumb.keys[0]
    token = forged(key.access_key, key.secret_key)  # an Upbit-style token
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", None, token=token)
    assert (status, error_name(body)) == (401, "invalid_query_payload")


async def test_a_stale_timestamp_is_refused_as_expired(bithumb: Exchange) -> None:
    key = bithumb.keys[0]
    token = forged(key.access_key, key.secret_key, timestamp=now_ms() - 10 * 60_000)
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", None, token=token)
    assert (status, error_name(body)) == (401, "expired_jwt")


async def test_only_hs256_is_accepted(bithumb: Exchange) -> None:
    key = bithumb.keys[0]
    token = forged(key.access_key, key.secret_key, timestamp=now_ms(), algorithm="HS512")
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", None, token=token)
    assert (status, error_name(body)) == (401, "jwt_verification")


async def test_unknown_keys_wrong_secrets_and_replays_fail_verification(bithumb: Exchange) -> None:
    key = bithumb.keys[0]
    stranger = creds_of(new_key(), "bithumb")
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", stranger)
    assert (status, error_name(body)) == (401, "jwt_verification")
    wrong = forged(key.access_key, "not the secret of this key, forty chars", timestamp=now_ms())
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", None, token=wrong)
    assert (status, error_name(body)) == (401, "jwt_verification")
    token = forged(key.access_key, key.secret_key, timestamp=now_ms())
    first = await call(bithumb.rest, "GET", "/v1/accounts", None, token=token)
    again = await call(bithumb.rest, "GET", "/v1/accounts", None, token=token)
    assert first[0] == 200
    assert (again[0], error_name(again[1])) == (401, "jwt_verification")


async def test_a_query_hash_of_other_parameters_is_refused(bithumb: Exchange) -> None:
    creds = bithumb.creds()
    token = sign(creds, query_string({"market": "KRW-ETH"}))
    status, body = await call(
        bithumb.rest, "GET", "/v1/orders/chance", None, {"market": "KRW-BTC"}, token=token
    )
    assert (status, error_name(body)) == (401, "invalid_query_payload")


async def test_the_same_pair_is_a_separate_account_on_each_venue(bithumb: Exchange) -> None:
    # The Upbit signer's token (HS512, no timestamp) does not open the Bithumb account.
    status, body = await call(bithumb.rest, "GET", "/v1/accounts", creds_of(bithumb.keys[0]))
    assert status == 401 and error_name(body) in ("jwt_verification", "invalid_query_payload")
