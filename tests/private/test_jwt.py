"""Tokens as the exchange reads them: claims, algorithm, query_hash over the unencoded query."""

from __future__ import annotations

import hashlib

import jwt

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges.upbit_private import authorization, query_string, sign

CREDS = Credentials("upbit", "access-key-of-a-test", "s" * 40, "a test")


def claims(token: str) -> dict[str, str]:
    return jwt.decode(token, "s" * 40, algorithms=["HS512"])


def test_a_token_without_parameters_carries_the_access_key_and_a_fresh_nonce() -> None:
    first, second = sign(CREDS), sign(CREDS)
    assert jwt.get_unverified_header(first)["alg"] == "HS512"
    one, two = claims(first), claims(second)
    assert one["access_key"] == "access-key-of-a-test"
    assert one["nonce"] != two["nonce"]  # a replayed nonce is refused by the exchange
    assert "query_hash" not in one


def test_query_hash_is_sha512_of_the_unencoded_query_with_array_keys() -> None:
    params = {"market": "KRW-BTC", "states": ["wait", "watch"], "note": "a b/c"}
    query = query_string(params)
    # As the exchange reference writes it: k=v joined by &, arrays as k[]=v, no encoding.
    assert query == "market=KRW-BTC&states[]=wait&states[]=watch&note=a b/c"
    got = claims(sign(CREDS, query))
    assert got["query_hash"] == hashlib.sha512(query.encode()).hexdigest()
    assert got["query_hash_alg"] == "SHA512"


def test_the_token_is_signed_with_the_secret_and_nothing_else() -> None:
    token = sign(CREDS)
    try:
        jwt.decode(token, "another secret of forty characters......", algorithms=["HS512"])
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a token verified with the wrong secret")
    header = authorization(CREDS)["Authorization"]
    assert header.startswith("Bearer ") and claims(header.removeprefix("Bearer "))
