"""``[premium]`` in the settings file: the bank rate, fees and transfer cost of the kimchi
premium figures.

    [premium]
    bank_rate = 1380.5                 # a fixed USD/KRW rate, or a URL returning JSON:
    # bank_rate = "https://example.org/usdkrw.json"
    # bank_rate_field = "rates.KRW"    # where the rate sits in that JSON (dotted path)
    # bank_rate_every = "5m"           # how often the URL is read
    fee_bithumb = 0.04                 # taker fee in % for one venue (default: standard tier)
    transfer_pct = 0.0                 # a transfer cost in % taken off every route's proceeds

Every bad value is a warning sentence and the default stands in for it (``config.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dantaro_tui.analytics.premium_venues import TAKER_FEE_PCT
from dantaro_tui.feed.fx import DEFAULT_EVERY_S, BankRate, rate_problem
from dantaro_tui.services.watch_config import parse_duration

Warn = Callable[[str], None]
MAX_FEE_PCT = 5.0
MAX_TRANSFER_PCT = 20.0
MIN_EVERY_S = 10.0


@dataclass(frozen=True)
class PremiumSettings:
    bank_rate: float | None = None  # fixed KRW per USD
    bank_rate_url: str = ""
    bank_rate_field: str = ""
    bank_rate_every: float = DEFAULT_EVERY_S
    fees: dict[str, float] = field(default_factory=lambda: dict(TAKER_FEE_PCT))
    transfer_pct: float = 0.0

    def bank(self) -> BankRate:
        return BankRate(
            self.bank_rate,
            self.bank_rate_url,
            field=self.bank_rate_field,
            every=self.bank_rate_every,
        )


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(out):
        raise ValueError(f"{value!r} is not a finite number")
    return out


def _bank_rate(value: object) -> tuple[float | None, str]:
    """(fixed rate, URL): one of them set."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        url = value.strip()
        if any(c.isspace() for c in url) or not url.isprintable():
            raise ValueError(f"{value!r} is not a URL")
        return None, url
    rate = _number(value)
    problem = rate_problem(rate)
    if problem:
        raise ValueError(problem)
    return rate, ""


def parse_premium(table: object, warn: Warn) -> PremiumSettings:
    """``[premium]`` -> settings; bad keys are warnings and the defaults stand in."""
    out = PremiumSettings()
    if not isinstance(table, Mapping):
        warn("premium should be a table ([premium])")
        return out
    fixed, url, where, every = out.bank_rate, out.bank_rate_url, out.bank_rate_field, None
    transfer = out.transfer_pct
    fees = dict(out.fees)
    for key, value in table.items():
        try:
            if key == "bank_rate":
                fixed, url = _bank_rate(value)
            elif key == "bank_rate_field":
                text = str(value).strip()
                if isinstance(value, bool) or not text or not text.isprintable():
                    raise ValueError(f"{value!r} is not a field name such as rates.KRW")
                where = text
            elif key == "bank_rate_every":
                seconds = parse_duration(value)
                if seconds < MIN_EVERY_S:
                    raise ValueError(f"{value!r} is too often; {MIN_EVERY_S:g} s or more")
                every = seconds
            elif key == "transfer_pct":
                pct = _number(value)
                if not 0.0 <= pct <= MAX_TRANSFER_PCT:
                    raise ValueError(f"{value!r} should be between 0 and {MAX_TRANSFER_PCT:g} (%)")
                transfer = pct
            elif key.startswith("fee_") and key[4:] in TAKER_FEE_PCT:
                pct = _number(value)
                if not 0.0 <= pct <= MAX_FEE_PCT:
                    raise ValueError(f"{value!r} should be between 0 and {MAX_FEE_PCT:g} (%)")
                fees[key[4:]] = pct
            else:
                known = ", ".join(f"fee_{v}" for v in TAKER_FEE_PCT)
                warn(
                    f"premium: unknown setting {key!r} (ignored; known: bank_rate,"
                    f" bank_rate_field, bank_rate_every, transfer_pct, {known})"
                )
        except ValueError as exc:
            warn(f"premium.{key}: {exc}")
    if where and not url:
        warn("premium.bank_rate_field: only used with a bank_rate URL (ignored)")
    return PremiumSettings(
        bank_rate=fixed,
        bank_rate_url=url,
        bank_rate_field=where if url else "",
        bank_rate_every=out.bank_rate_every if every is None else every,
        fees=fees,
        transfer_pct=transfer,
    )
