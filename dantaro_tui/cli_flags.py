"""Flags several commands take, defined and checked in one place so they cannot drift apart:
the simulator's premiums (``--kimchi-premium``, ``--premium VENUE=PCT``) and the collector a
command reads (``--source``, else ``DANTARO_SOURCE``)."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from dantaro_tui.sim.premiums import LIMIT_PCT, parse_premiums

# Mirrors feed.redis_layout.ENV_SOURCE; importing that module here would load Redis for
# every ``--help``. tests/test_cli_flags.py keeps the two equal.
ENV_SOURCE = "DANTARO_SOURCE"
SOURCE_FLAG = "--source"

ArgTarget = argparse.ArgumentParser | argparse._ArgumentGroup


MAX_INTENSITY = 100.0


def intensity(text: str) -> float:
    """``--intensity``: a finite multiplier above 0 (an empty or negative market has no
    prices to show, and a NaN one no clock)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= MAX_INTENSITY:  # NaN fails every comparison
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a message volume: give a number above 0 and at most "
            f"{MAX_INTENSITY:g} (1 = a busy day)"
        )
    return value


def add_intensity_arg(parser: ArgTarget, *, what: str = "demo message volume") -> None:
    parser.add_argument("--intensity", type=intensity, default=1.0, help=f"{what} (1 = busy day)")


def add_premium_args(parser: ArgTarget, *, kimchi_default: float, scope: str = "") -> None:
    """``--kimchi-premium`` and ``--premium``; ``scope`` prefixes the help ("demo: ")."""
    parser.add_argument(
        "--kimchi-premium",
        type=float,
        default=kimchi_default,
        metavar="PCT",
        help=f"{scope}the Korean venues' premium over the bank USD/KRW rate in %% "
        f"(default {kimchi_default:g})",
    )
    parser.add_argument(
        "--premium",
        action="append",
        default=[],
        metavar="VENUE=PCT",
        help=f"{scope}one Korean venue's own premium, e.g. bithumb=2.8 (repeatable)",
    )


def premiums_from(args: argparse.Namespace, *, needs_demo: bool = True) -> dict[str, float]:
    """The per-venue premiums of ``--premium``, with ``--kimchi-premium`` checked too.
    ValueError with one sentence for a bad value, or (``needs_demo``) for a premium given
    to a command that is not running the simulator, where it would silently do nothing."""
    kimchi = getattr(args, "kimchi_premium", 0.0)
    if not math.isfinite(kimchi) or abs(kimchi) >= LIMIT_PCT:
        raise ValueError(f"--kimchi-premium {kimchi:g}: give a percentage between -100 and 100")
    given: list[str] = list(getattr(args, "premium", None) or [])
    parsed = parse_premiums(given)
    if given and needs_demo and not getattr(args, "demo", False):
        raise ValueError("--premium sets the simulator's premiums: add --demo")
    return parsed


@dataclass(frozen=True, slots=True)
class SourceChoice:
    """The collector a command reads: a Redis URL, or ``redis`` for ``DANTARO_REDIS_URL``."""

    value: str
    origin: str  # SOURCE_FLAG or ENV_SOURCE: where the user set it, for what is said

    @property
    def from_env(self) -> bool:
        return self.origin == ENV_SOURCE

    def url(self) -> str:
        """The Redis URL meant, its form checked (not whether Redis answers: each command
        decides what an absent Redis means); ValueError with the sentence to show."""
        from dantaro_tui.feed.redis_layout import redis_url

        try:
            return redis_url(None if self.value == "redis" else self.value)
        except ValueError as exc:
            raise ValueError(self.explain(str(exc))) from None

    def explain(self, sentence: str) -> str:
        """``sentence`` about this source, naming the variable when the user set none on
        the command line (an environment variable is easy to forget)."""
        return f"{ENV_SOURCE}: {sentence}" if self.from_env else sentence


def chosen_source(
    flag: str | None, environ: Mapping[str, str] | None = None
) -> SourceChoice | None:
    """``--source`` if given, else ``DANTARO_SOURCE`` if set (and not blank), else None."""
    if flag:
        return SourceChoice(flag, SOURCE_FLAG)
    value = (os.environ if environ is None else environ).get(ENV_SOURCE, "").strip()
    return SourceChoice(value, ENV_SOURCE) if value else None
