"""The ``[notify]`` and ``[[watch]]`` settings: where alerts go and which rules send them.

Read by ``config.py`` like every other table: a bad entry is one warning sentence and is
left out, the rest stands. Nothing here imports Apprise unless a URL has to be checked.

    [notify]
    language = "ko"                 # or "en"; default: the user's locale
    urls = ["tgram://BOT_TOKEN/CHAT_ID", "ntfy://my-topic"]
    cooldown = "5m"                 # per rule and market
    max_per_hour = 20               # per rule
    cockpit = true                  # the cockpit sends them too (key N toggles)

    [[watch]]
    kind = "price"                  # price | move | volume_spike | pump | dump | premium | feed
    market = "KRW-BTC"
    above = 150_000_000             # crossing upward (and/or below = ...)
    urls = ["json://127.0.0.1:8080/hook"]   # this rule only; default: notify.urls

Kinds: ``price`` crosses ``above``/``below``; ``move`` is ``percent`` up or down within
``window``; ``volume_spike``, ``pump`` and ``dump`` are the alert service's own rules (each
market against its own activity); ``premium`` is the BTC kimchi premium crossing
``above``/``below`` (in %); ``feed`` is a feed unhealthy for ``after``. ``stablecoins =
false`` keeps a ``volume_spike``/``pump``/``dump`` rule off the dollar coins' markets
(KRW-USDT), as the default rules are.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

RuleKind = Literal["price", "move", "volume_spike", "pump", "dump", "premium", "feed"]
RULE_KINDS: tuple[RuleKind, ...] = (
    "price",
    "move",
    "volume_spike",
    "pump",
    "dump",
    "premium",
    "feed",
)
SERVICE_KINDS: tuple[RuleKind, ...] = ("volume_spike", "pump", "dump")  # the AlertService's
Language = Literal["ko", "en"]
LANGUAGES: tuple[Language, ...] = ("ko", "en")
MAX_RULES = 200  # more is a mistake (a generated file), not a trader's list

Warn = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class WatchRule:
    name: str
    kind: RuleKind
    markets: tuple[str, ...] = ()  # () = every market of the quote (price needs one)
    above: float | None = None  # price level, or premium in %
    below: float | None = None
    percent: float = 0.0  # move: |%| within window_s
    window_s: float = 300.0
    after_s: float = 30.0  # feed: unhealthy this long
    urls: tuple[str, ...] = ()  # () = NotifySettings.urls
    cooldown_s: float | None = None  # None = NotifySettings.cooldown_s
    max_per_hour: int | None = None  # None = NotifySettings.max_per_hour
    coin: str = "BTC"  # premium
    # volume_spike/pump/dump over stablecoin markets (KRW-USDT): a dollar coin's volume
    # jumps when money moves in or out of the venue, which is no signal to trade on.
    stablecoins: bool = True

    def covers(self, market: str) -> bool:
        return not self.markets or market in self.markets


@dataclass(frozen=True, slots=True)
class NotifySettings:
    language: Language | None = None  # None: the user's locale decides
    urls: tuple[str, ...] = ()
    cooldown_s: float = 300.0
    dedupe_s: float = 900.0  # the same crossing, again, within this: dropped
    max_per_hour: int = 20
    cockpit: bool = False
    timeout_s: float = 10.0  # one delivery attempt
    retries: int = 5  # attempts per destination before an alert is given up (and said)

    def resolved_language(self, env: Mapping[str, str] | None = None) -> Language:
        if self.language is not None:
            return self.language
        from dantaro_tui.config import korean_locale

        return "ko" if korean_locale(os.environ if env is None else env) else "en"


def default_rules() -> list[WatchRule]:
    """What ``watch`` runs when the file names no rule: the alert service's rules over every
    market but the stablecoins' (each measured against its own activity, so a few a day,
    not a flood) and a feed that stays unhealthy for 30 s."""
    # A phone is not a screen: a volume spike somewhere is the commonest alert of a busy
    # day, so the default sends at most a few an hour (the cockpit's log keeps them all).
    return [
        WatchRule(
            "volume spikes", "volume_spike", cooldown_s=1800.0, max_per_hour=4, stablecoins=False
        ),
        WatchRule("pumps", "pump", stablecoins=False),
        WatchRule("dumps", "dump", stablecoins=False),
        WatchRule("feed", "feed", after_s=30.0),
    ]


# -- parsing -------------------------------------------------------------------------------
def _silence_apprise() -> None:
    # Apprise logs a bad URL or a failed delivery as a WARNING; with no handler Python would
    # print it over the cockpit. We say it ourselves, in health.
    logger = logging.getLogger("apprise")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def url_problem(url: object) -> str | None:
    """Why ``url`` is not an Apprise URL we can send to (None: it is)."""
    if not isinstance(url, str) or not url.strip():
        return f"{url!r} is not a notification URL"
    import apprise

    _silence_apprise()
    if apprise.Apprise.instantiate(url.strip()) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        return (
            f"{scheme!r} is not a notification URL Apprise knows (e.g. tgram://, ntfy://, "
            "slack://, json://)"
        )
    return None


def redact(url: str) -> str:
    """A URL fit to show: Apprise's privacy form (tokens and passwords elided), no query."""
    import apprise

    _silence_apprise()
    plugin = apprise.Apprise.instantiate(url)
    shown = (
        plugin.url(privacy=True)  # type: ignore[no-untyped-call]
        if plugin is not None
        else url.split("://", 1)[0] + "://…"
    )
    return str(shown).split("?", 1)[0]


def parse_duration(value: object) -> float:
    """Seconds from a number or a text such as ``90s``, ``5m``, ``1h``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        from dantaro_tui.recording.recorder import parse_duration as parse

        seconds = parse(value)
    else:
        raise ValueError(f'{value!r} is not a duration (e.g. 90, "90s", "5m")')
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a duration of 0 or more")
    return seconds


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{value!r} is not a finite number")
    return out


def _urls(value: object, where: str, warn: Warn) -> tuple[str, ...] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        warn(f"{where}.urls should be a list of notification URLs")
        return None
    good: list[str] = []
    for item in items:
        problem = url_problem(item)
        if problem:
            warn(f"{where}.urls: {problem} (ignored)")
        else:
            good.append(str(item).strip())
    return tuple(dict.fromkeys(good))


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return value.lower() in ("1", "true", "yes", "on")
    return None


def parse_notify(table: object, warn: Warn) -> NotifySettings:
    """``[notify]`` -> settings; bad keys are warnings and the defaults stand in."""
    out = NotifySettings()
    if not isinstance(table, Mapping):
        warn("notify should be a table ([notify])")
        return out
    values: dict[str, Any] = {}
    for key, value in table.items():
        try:
            if key == "language":
                text = str(value).strip().lower()[:2]
                if text not in LANGUAGES:
                    raise ValueError(f"{value!r} is not one of ko, en")
                values["language"] = text
            elif key == "urls":
                urls = _urls(value, "notify", warn)
                if urls is not None:
                    values["urls"] = urls
            elif key in ("cooldown", "dedupe", "timeout"):
                seconds = parse_duration(value)
                if key == "timeout" and not 0.5 <= seconds <= 120:
                    raise ValueError(f"{value!r} should be between 0.5 s and 2 min")
                values[f"{key}_s"] = seconds
            elif key in ("max_per_hour", "retries"):
                count = _number(value)
                low = 1 if key == "retries" else 0
                if count != int(count) or not low <= count <= 10_000:
                    raise ValueError(f"{value!r} should be a whole number, {low} or more")
                values[key] = int(count)
            elif key == "cockpit":
                flag = _bool(value)
                if flag is None:
                    raise ValueError(f"should be true or false, not {value!r}")
                values["cockpit"] = flag
            else:
                warn(f"notify: unknown setting {key!r} (ignored)")
        except ValueError as exc:
            warn(f"notify.{key}: {exc}")
    return replace(out, **values)


RULE_KEYS = frozenset(
    {
        "name",
        "kind",
        "market",
        "markets",
        "above",
        "below",
        "percent",
        "window",
        "after",
        "urls",
        "cooldown",
        "max_per_hour",
        "coin",
        "stablecoins",
    }
)


def parse_rules(tables: object, warn: Warn) -> list[WatchRule]:
    """``[[watch]]`` tables -> rules; a rule with a bad value is left out, said once."""
    if not isinstance(tables, list | tuple):
        warn("watch should be a list of tables ([[watch]] entries)")
        return []
    rules: list[WatchRule] = []
    names: set[str] = set()
    for i, table in enumerate(tables[:MAX_RULES], start=1):
        where = f"watch #{i}"
        if not isinstance(table, Mapping):
            warn(f"{where} should be a table")
            continue
        try:
            rule = _rule(table, where, warn)
        except ValueError as exc:
            warn(f"{where}: {exc}; the rule is left out")
            continue
        if rule.name in names:
            rule = replace(rule, name=f"{rule.name} #{i}")
        names.add(rule.name)
        rules.append(rule)
    if len(tables) > MAX_RULES:
        warn(f"watch: only the first {MAX_RULES} rules are used")
    return rules


def _market(value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code or any(c.isspace() or c in ",;/" for c in code):
        raise ValueError(f"{value!r} is not a market code")
    return code


def _rule(table: Mapping[str, Any], where: str, warn: Warn) -> WatchRule:
    unknown = [k for k in table if k not in RULE_KEYS]
    if unknown:
        warn(f"{where}: unknown setting {', '.join(map(repr, unknown))} (ignored)")
    kind = str(table.get("kind", "")).strip().lower()
    if kind not in RULE_KINDS:
        raise ValueError(f"kind {table.get('kind')!r} is not one of {', '.join(RULE_KINDS)}")
    values: dict[str, Any] = {"kind": kind}
    markets: list[str] = []
    if "market" in table:
        markets.append(_market(table["market"]))
    if "markets" in table:
        raw = table["markets"]
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise ValueError("markets should be a list of market codes")
        markets.extend(_market(m) for m in items if m != "*")
    values["markets"] = tuple(dict.fromkeys(markets))
    for key in ("above", "below"):
        if key in table:
            values[key] = _number(table[key])
    if "percent" in table:
        values["percent"] = abs(_number(table["percent"]))
    for key in ("window", "after", "cooldown"):
        if key in table:
            values[f"{key}_s"] = parse_duration(table[key])
    if "max_per_hour" in table:
        count = _number(table["max_per_hour"])
        if count != int(count) or count < 0:
            raise ValueError(f"max_per_hour {table['max_per_hour']!r} should be 0 or more")
        values["max_per_hour"] = int(count)
    if "urls" in table:
        urls = _urls(table["urls"], where, warn)
        if urls is not None:
            values["urls"] = urls
    if "coin" in table:
        values["coin"] = str(table["coin"]).strip().upper() or "BTC"
    if "stablecoins" in table:
        flag = _bool(table["stablecoins"])
        if flag is None:
            raise ValueError(f"stablecoins should be true or false, not {table['stablecoins']!r}")
        if kind not in SERVICE_KINDS:
            warn(f"{where}: stablecoins applies to {', '.join(SERVICE_KINDS)} rules (ignored)")
        else:
            values["stablecoins"] = flag
    _check(kind, values, table)
    name = table.get("name")
    values["name"] = (
        str(name).strip()[:60] if isinstance(name, str) and name.strip() else _name(values)
    )
    return WatchRule(**values)


def _check(kind: RuleKind, values: Mapping[str, Any], table: Mapping[str, Any]) -> None:
    above, below = values.get("above"), values.get("below")
    if kind in ("price", "premium") and above is None and below is None:
        raise ValueError(f"a {kind} rule needs a level: above = ... and/or below = ...")
    if kind == "price":
        if len(values["markets"]) != 1:
            raise ValueError('a price rule watches one market: market = "KRW-BTC"')
        for level in (above, below):
            if level is not None and level <= 0:
                raise ValueError(f"price level {level!r} should be above 0")
    if kind == "move":
        pct = values.get("percent", 0.0)
        if not 0.0 < pct <= 100.0:
            raise ValueError(
                f"a move rule needs percent between 0 and 100, not {table.get('percent')!r}"
            )
        window = values.get("window_s", 300.0)
        if not 5.0 <= window <= 86_400.0:
            raise ValueError("window should be between 5 s and 1 day")
    if kind == "feed" and values.get("after_s", 30.0) < 1.0:
        raise ValueError("after should be at least 1 s")


def _name(values: Mapping[str, Any]) -> str:
    kind = values["kind"]
    market = ",".join(values["markets"][:2]) or "all"
    if kind == "price":
        levels = [f"{k} {values[k]:,.8g}" for k in ("above", "below") if values.get(k) is not None]
        return f"{market} {' / '.join(levels)}"
    if kind == "move":
        return f"{market} ±{values['percent']:g}% in {values.get('window_s', 300.0):g}s"
    if kind == "premium":
        levels = [f"{k} {values[k]:g}%" for k in ("above", "below") if values.get(k) is not None]
        return f"premium {' / '.join(levels)}"
    if kind == "feed":
        return f"feed down {values.get('after_s', 30.0):g}s"
    return f"{kind.replace('_', ' ')} {market}"


# -- writing back ---------------------------------------------------------------------------
def writable(table: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of a table the settings writer can write back as they were read (plain
    values and lists of them): the app rewrites the file, the trader's rules stay in it."""

    def ok(value: object) -> bool:
        if isinstance(value, bool | int | float | str):
            return not (isinstance(value, float) and not math.isfinite(value))
        if isinstance(value, list | tuple):
            return all(isinstance(v, bool | int | float | str) and ok(v) for v in value)
        return False

    return {str(k): v for k, v in table.items() if ok(v)}
