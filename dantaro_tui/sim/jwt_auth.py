"""How a simulated exchange checks a request's JWT, as the exchange does (reference 1.7, 6).

Written from the protocol reference, not from the client's signer: the token's access key
must be one of the simulator's key pairs, its signature must verify with that pair's secret,
its ``nonce`` must be new for that key, and a request with parameters must carry
``query_hash`` = hex SHA-512 of its unencoded query string (a GET's query as sent, a POST's
JSON body written ``k=v&...`` in body order, lists as ``k[]=v``). A failure is the
exchange's own error: HTTP 401 with ``{"error": {"name": ..., "message": ...}}``.

Upbit and Bithumb check the same token family; an :class:`AuthDialect` says what differs:

* Upbit accepts HS256 or HS512 and names each failure (``invalid_access_key``,
  ``nonce_used``, ...).
* Bithumb documents HS256 only, requires a ``timestamp`` claim (ms) and refuses a stale one
  with ``expired_jwt``. Its error list has no ``invalid_access_key`` or ``nonce_used``: an
  unknown key and a replayed nonce are refused as ``jwt_verification`` here (assumed, not
  confirmed), and its messages are its own (``Jwt 토큰 검증에 실패했습니다.``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import warnings
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jwt
from jwt.warnings import InsecureKeyLengthWarning

# Upbit's permission groups, as an API key is issued with them.
ASSETS = "자산조회"
ORDERS_READ = "주문조회"
ORDERS_WRITE = "주문하기"
ALL_PERMISSIONS = frozenset({ASSETS, ORDERS_READ, ORDERS_WRITE})
NONCES_KEPT = 100_000  # per key: a replayed nonce older than this is not caught (nor is Upbit's)


class AuthError(Exception):
    """A refused request: ``status`` and the exchange's error ``name`` and ``message``."""

    def __init__(self, name: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"error": {"name": self.name, "message": self.message}}


@dataclass(frozen=True)
class AuthDialect:
    """What one exchange's token check differs in: algorithms, claims, error bodies."""

    venue: str
    algorithms: tuple[str, ...]
    bad_token: tuple[str, str]  # a signature that does not verify, a token that is no JWT
    unknown_key: tuple[str, str]
    bad_payload: tuple[str, str]  # nonce missing, query_hash wrong or missing
    nonce_used: tuple[str, str]
    out_of_scope: tuple[str, str]
    expired: tuple[str, str] = ("expired_jwt", "")
    # A required ``timestamp`` claim (ms) and how far from now it may be; None: no claim.
    timestamp_window_ms: int | None = None

    def error(self, which: tuple[str, str]) -> AuthError:
        return AuthError(*which)


UPBIT = AuthDialect(
    venue="upbit",
    algorithms=("HS256", "HS512"),
    bad_token=("jwt_verification", "JWT 토큰 검증에 실패했습니다."),
    unknown_key=("invalid_access_key", "잘못된 엑세스 키입니다."),
    bad_payload=("invalid_query_payload", "JWT 헤더의 페이로드가 올바르지 않습니다."),
    nonce_used=("nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다."),
    out_of_scope=("out_of_scope", "허용되지 않은 기능입니다."),
)
_BITHUMB_BAD_TOKEN = ("jwt_verification", "Jwt 토큰 검증에 실패했습니다.")
BITHUMB = AuthDialect(
    venue="bithumb",
    algorithms=("HS256",),
    bad_token=_BITHUMB_BAD_TOKEN,
    unknown_key=_BITHUMB_BAD_TOKEN,
    bad_payload=("invalid_query_payload", "Jwt의 query를 검증하는데 실패하였습니다."),
    nonce_used=_BITHUMB_BAD_TOKEN,
    out_of_scope=("out_of_scope", "권한이 부족합니다."),
    expired=("expired_jwt", "Jwt가 만료되었습니다."),
    # The window is not published; the legacy API refused calls 20 s off the server's clock.
    timestamp_window_ms=30_000,
)


def jwt_failed(dialect: AuthDialect = UPBIT) -> AuthError:
    return dialect.error(dialect.bad_token)


def bad_payload(dialect: AuthDialect = UPBIT) -> AuthError:
    return dialect.error(dialect.bad_payload)


@dataclass(eq=False)
class PaperKey:
    """One API key pair of the simulator, with its permissions and starting balances."""

    access_key: str
    secret_key: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS
    balances: Mapping[str, float] = field(default_factory=lambda: {"KRW": 10_000_000.0})
    # currency -> average buy price in KRW of the starting holdings (0: bought at today's price)
    avg_buy_prices: Mapping[str, float] = field(default_factory=dict)
    # Not init fields: ``dataclasses.replace`` gives each venue's copy its own nonces.
    _nonces: set[str] = field(default_factory=set, repr=False, init=False)
    _order: deque[str] = field(default_factory=deque, repr=False, init=False)

    def use_nonce(self, nonce: str) -> bool:
        """False when ``nonce`` was seen before for this key."""
        if nonce in self._nonces:
            return False
        self._nonces.add(nonce)
        self._order.append(nonce)
        if len(self._order) > NONCES_KEPT:
            self._nonces.discard(self._order.popleft())
        return True


def get_query(raw_query: str) -> str:
    """A GET or DELETE request's query string as it is hashed: unencoded, in its order."""
    return unquote(raw_query.replace("+", " "))


def body_query(body: Mapping[str, Any]) -> str:
    """A POST's JSON body as the query string it is hashed as."""
    parts: list[str] = []
    for key, value in body.items():
        values: Iterable[Any] = value if isinstance(value, list) else [value]
        name = f"{key}[]" if isinstance(value, list) and not key.endswith("[]") else key
        parts.extend(f"{name}={_text(v)}" for v in values)
    return "&".join(parts)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def verify(
    keys: Mapping[str, PaperKey], header: str | None, query: str, dialect: AuthDialect = UPBIT
) -> PaperKey:
    """The key pair a request's ``Authorization`` header proves; AuthError otherwise."""
    if not header or not header.startswith("Bearer "):
        raise jwt_failed(dialect)
    token = header[len("Bearer ") :].strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise jwt_failed(dialect) from None
    access = claims.get("access_key")
    key = keys.get(access) if isinstance(access, str) else None
    if key is None:
        raise dialect.error(dialect.unknown_key)
    try:
        with warnings.catch_warnings():
            # The exchanges' own 40-character secrets are shorter than PyJWT's advice.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            claims = jwt.decode(token, key.secret_key, algorithms=list(dialect.algorithms))
    except jwt.PyJWTError:
        raise jwt_failed(dialect) from None
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise bad_payload(dialect)
    if dialect.timestamp_window_ms is not None:
        stamp = claims.get("timestamp")
        if not isinstance(stamp, int) or isinstance(stamp, bool):
            raise bad_payload(dialect)
        if abs(time.time() * 1000 - stamp) > dialect.timestamp_window_ms:
            raise dialect.error(dialect.expired)
    given = claims.get("query_hash")
    if query:
        alg = claims.get("query_hash_alg", "SHA512")
        if alg != "SHA512" or not isinstance(given, str):
            raise bad_payload(dialect)
        expected = hashlib.sha512(query.encode("utf-8")).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise bad_payload(dialect)
    elif given is not None:
        raise bad_payload(dialect)  # a hash of parameters this request does not have
    # Checked last, as the exchange does: a token refused for its payload spends no nonce.
    if not key.use_nonce(nonce):
        raise dialect.error(dialect.nonce_used)
    return key


def require(key: PaperKey, permission: str, dialect: AuthDialect = UPBIT) -> None:
    if permission not in key.permissions:
        raise dialect.error(dialect.out_of_scope)
