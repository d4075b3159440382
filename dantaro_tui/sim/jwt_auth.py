"""How the simulated Upbit checks a request's JWT, as the exchange does (reference 1.7).

Written from the protocol reference, not from the client's signer: the token's access key
must be one of the simulator's key pairs, its signature (HS256 or HS512) must verify with
that pair's secret, its ``nonce`` must be new for that key, and a request with parameters
must carry ``query_hash`` = hex SHA-512 of its unencoded query string (a GET's query as sent,
a POST's JSON body written ``k=v&...`` in body order, lists as ``k[]=v``). A failure is the
exchange's own error: HTTP 401 with ``{"error": {"name": ..., "message": ...}}``.
"""

from __future__ import annotations

import hashlib
import hmac
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


def jwt_failed() -> AuthError:
    return AuthError("jwt_verification", "JWT 토큰 검증에 실패했습니다.")


def bad_payload() -> AuthError:
    return AuthError("invalid_query_payload", "JWT 헤더의 페이로드가 올바르지 않습니다.")


@dataclass(eq=False)
class PaperKey:
    """One API key pair of the simulator, with its permissions and starting balances."""

    access_key: str
    secret_key: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS
    balances: Mapping[str, float] = field(default_factory=lambda: {"KRW": 10_000_000.0})
    # currency -> average buy price in KRW of the starting holdings (0: bought at today's price)
    avg_buy_prices: Mapping[str, float] = field(default_factory=dict)
    _nonces: set[str] = field(default_factory=set, repr=False)
    _order: deque[str] = field(default_factory=deque, repr=False)

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


def verify(keys: Mapping[str, PaperKey], header: str | None, query: str) -> PaperKey:
    """The key pair a request's ``Authorization`` header proves; AuthError otherwise."""
    if not header or not header.startswith("Bearer "):
        raise jwt_failed()
    token = header[len("Bearer ") :].strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise jwt_failed() from None
    access = claims.get("access_key")
    key = keys.get(access) if isinstance(access, str) else None
    if key is None:
        raise AuthError("invalid_access_key", "잘못된 엑세스 키입니다.")
    try:
        with warnings.catch_warnings():
            # Upbit's own 40-character secrets are shorter than PyJWT's advice for HS512.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            claims = jwt.decode(token, key.secret_key, algorithms=["HS256", "HS512"])
    except jwt.PyJWTError:
        raise jwt_failed() from None
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise bad_payload()
    given = claims.get("query_hash")
    if query:
        alg = claims.get("query_hash_alg", "SHA512")
        if alg != "SHA512" or not isinstance(given, str):
            raise bad_payload()
        expected = hashlib.sha512(query.encode("utf-8")).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise bad_payload()
    elif given is not None:
        raise bad_payload()  # a hash of parameters this request does not have
    # Checked last, as the exchange does: a token refused for its payload spends no nonce.
    if not key.use_nonce(nonce):
        raise AuthError("nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다.")
    return key


def require(key: PaperKey, permission: str) -> None:
    if permission not in key.permissions:
        raise AuthError("out_of_scope", "허용되지 않은 기능입니다.")
