"""API keys for the private (account) streams: where they come from and how they are held.

Keys come from two places only (never the settings file, never a flag's value):

* the environment: ``DANTARO_UPBIT_ACCESS_KEY`` and ``DANTARO_UPBIT_SECRET_KEY``;
* a TOML file the user names (``DANTARO_KEYS_FILE`` or an argument), with a table per
  exchange (``[upbit]`` with ``access_key`` and ``secret_key``). The file is refused unless
  it belongs to the user and nobody else may read it (``chmod 600``): a key readable by other
  accounts of the machine is a key already shared.

The secret key lives in a :class:`Secret`, whose ``repr``/``str`` are redacted: a log line,
an error message, the health view or a traceback printed with its locals (Textual's crash
report, ``rich`` with ``show_locals``) shows ``Secret('********')``. Code that signs reads it
with ``reveal()`` in the call's argument, never into a local of its own frame.

Every problem is one sentence a trader can act on (:class:`CredentialsError`); the file's
contents are never quoted back.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "KEYS_FILE_ENV",
    "Credentials",
    "CredentialsError",
    "Secret",
    "env_names",
    "from_env",
    "from_file",
    "how_to_add",
    "install_log_redaction",
    "load",
    "redact",
]

KEYS_FILE_ENV = "DANTARO_KEYS_FILE"
REDACTED = "********"


class CredentialsError(ValueError):
    """Keys that cannot be used; the message says why and what to do, never the key."""


class Secret:
    """A string that is never shown: ``repr``, ``str`` and ``format`` are redacted, and it
    refuses to be pickled (a pickle is a file someone may read)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(hashlib.sha256(self._value.encode()).digest())

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


class Credentials:
    """An exchange API key pair and where it came from."""

    __slots__ = ("access_key", "exchange", "secret_key", "source")

    def __init__(
        self, exchange: str, access_key: str, secret_key: Secret | str, source: str
    ) -> None:
        self.exchange = exchange.lower()
        self.access_key = access_key
        self.secret_key = secret_key if isinstance(secret_key, Secret) else Secret(secret_key)
        self.source = source

    @property
    def key_id(self) -> str:
        """A short stable name for the pair that reveals neither key (one hub venue each)."""
        return hashlib.sha256(f"{self.exchange}:{self.access_key}".encode()).hexdigest()[:12]

    @property
    def masked_access_key(self) -> str:
        """The access key's first four characters: enough to tell two keys apart on screen."""
        return f"{self.access_key[:4]}…" if len(self.access_key) > 4 else "…"

    def __repr__(self) -> str:
        return (
            f"Credentials({self.exchange}, access key {self.masked_access_key}, from {self.source})"
        )

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.exchange, self.access_key, self.secret_key) == (
            other.exchange,
            other.access_key,
            other.secret_key,
        )

    def __hash__(self) -> int:
        return hash((self.exchange, self.access_key, self.secret_key))

    def __reduce__(self) -> NoReturn:
        raise TypeError("credentials cannot be pickled")


def env_names(exchange: str) -> tuple[str, str]:
    """The environment variables of ``exchange``'s key pair."""
    prefix = f"DANTARO_{exchange.upper()}"
    return f"{prefix}_ACCESS_KEY", f"{prefix}_SECRET_KEY"


def from_env(
    exchange: str = "upbit", environ: Mapping[str, str] | None = None
) -> Credentials | None:
    """The pair in the environment; None when neither variable is set."""
    env = os.environ if environ is None else environ
    access_name, secret_name = env_names(exchange)
    access = env.get(access_name, "").strip()
    has_secret = bool(env.get(secret_name, "").strip())
    if not access and not has_secret:
        return None
    if not access or not has_secret:
        present, missing = (access_name, secret_name) if access else (secret_name, access_name)
        raise CredentialsError(f"{present} is set but {missing} is not: set both, or neither.")
    return Credentials(exchange, access, Secret(env[secret_name].strip()), "the environment")


def _owner_only(path: Path) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CredentialsError(f"The keys file {path} does not exist.") from None
    except OSError as exc:
        raise CredentialsError(f"Cannot read the keys file {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise CredentialsError(f"The keys file {path} is not a regular file.")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CredentialsError(
            f"Refusing the keys file {path}: it belongs to another user. "
            "Keep API keys in a file of your own, readable by you alone (chmod 600)."
        )
    if info.st_mode & 0o077:
        raise CredentialsError(
            f"Refusing the keys file {path}: other users may read it "
            f"(mode {stat.S_IMODE(info.st_mode):03o}). Run: chmod 600 {path}"
        )


def from_file(path: str | os.PathLike[str], exchange: str = "upbit") -> Credentials | None:
    """The pair in the ``[exchange]`` table of the TOML file at ``path``; None when the
    file has no such table. The file must be readable by its owner alone."""
    where = Path(path).expanduser()
    _owner_only(where)
    try:
        data: dict[str, Any] = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsError(f"Cannot read the keys file {where}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise CredentialsError(f"The keys file {where} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        # The parser's sentence names a line and column, never the text found there.
        raise CredentialsError(f"The keys file {where} is not valid TOML: {exc}.") from None
    table = data.get(exchange.lower())
    if table is None:
        return None
    if not isinstance(table, dict):
        raise CredentialsError(f"[{exchange}] in the keys file {where} must be a table.")
    access, secret = table.get("access_key"), table.get("secret_key")
    if not isinstance(access, str) or not access.strip():
        raise CredentialsError(f"[{exchange}] in the keys file {where} has no access_key.")
    if not isinstance(secret, str) or not secret.strip():
        raise CredentialsError(f"[{exchange}] in the keys file {where} has no secret_key.")
    return Credentials(exchange, access.strip(), Secret(secret.strip()), f"the file {where}")


def load(
    exchange: str = "upbit",
    file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """The key pair for ``exchange``: from ``file`` (or the file ``DANTARO_KEYS_FILE``
    names) when one is named, else from the environment; None when none is configured."""
    env = os.environ if environ is None else environ
    named = file or env.get(KEYS_FILE_ENV, "").strip() or None
    if named is not None:
        found = from_file(named, exchange)
        if found is not None:
            return found
    return from_env(exchange, env)


def how_to_add(exchange: str = "upbit") -> str:
    """The sentence the account view shows when no keys are configured."""
    access_name, secret_name = env_names(exchange)
    return (
        f"No API keys for {exchange}. Set {access_name} and {secret_name}, or name a keys "
        f"file in {KEYS_FILE_ENV} (TOML, [{exchange}] access_key / secret_key, chmod 600). "
        "Read-only keys are enough: 자산조회 (asset inquiry) and 주문조회 (order inquiry)."
    )


# -- logs --------------------------------------------------------------------------------------
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """``text`` with any bearer token replaced."""
    return _BEARER.sub(rf"\g<1>{REDACTED}", text)


class _RedactAuthorization(logging.Filter):
    """websockets logs every handshake header at DEBUG (``> Authorization: Bearer ...``):
    the value of that one header is replaced before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and str(args[0]).lower() == "authorization":
            record.args = (args[0], REDACTED, *args[2:])
        elif isinstance(record.msg, str) and "Bearer" in record.msg:
            record.msg = redact(record.msg)
        return True


_FILTER = _RedactAuthorization()


def install_log_redaction() -> None:
    """Attach the redaction to the loggers that see handshake headers (idempotent)."""
    for name in ("websockets.client", "websockets.server", "websockets"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
