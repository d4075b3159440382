"""Configuration in one place (design.md rule 8).

Strength, weakest first: defaults in code < the TOML file in the platform config dir
(``platformdirs.user_config_dir("dantaro-tui")/config.toml``, or the file ``--config`` /
``DANTARO_CONFIG`` names) < environment variables ``DANTARO_*`` < command-line flags.

What the trader changes in the app (theme, layout, chart symbols and intervals, overlays,
scanner threshold and sort) is written back to the same file, so the next run opens where
the last one ended. The file is written by hand (a handful of flat keys and two string
lists) so no TOML writer is needed; it is read with the standard library's ``tomllib``.

Nothing in a settings file can stop the app: every problem (not UTF-8, a TOML error, a
value out of range, an unknown exchange) is a warning sentence and the defaults stand in
for the bad parts. And the trader's file is never lost: a file that could not be read is
never overwritten (``save_config`` refuses, saying why), and before a file that had bad
values, or that changed on disk since it was read, is rewritten, its bytes are kept in
``config.toml.bak``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_config_dir

from dantaro_tui.analytics.alerts import ALL_KINDS
from dantaro_tui.services.alerts import DEFAULT_TOASTS
from dantaro_tui.services.premium_config import PremiumSettings, parse_premium
from dantaro_tui.services.watch_config import (
    NotifySettings,
    WatchRule,
    parse_notify,
    parse_rules,
    writable,
)

if TYPE_CHECKING:
    from textual.theme import Theme

APP_NAME = "dantaro-tui"
LAYOUTS = ("1x1", "1x2", "2x2", "3x3")
from dantaro_tui.intervals import INTERVALS as INTERVALS  # noqa: E402 - the one vocabulary

THEMES = ("dantaro-dark", "dantaro-light", "dantaro-contrast", "dantaro-korea")
SCANNER_SORTS = ("market", "korean", "english", "price", "change", "value", "spike")
MAX_CHARTS = 9
# Alert kinds that can make a toast ([alerts] toasts); the rest only go to the log.
ALERT_KINDS: tuple[str, ...] = ALL_KINDS
DEFAULT_ALERT_TOASTS = tuple(sorted(DEFAULT_TOASTS))
DEFAULT_ALERT_MIN_TURNOVER = 1e9  # KRW of 24h turnover below which a market never alerts
# The default layout opens on KRW-BTC; the other charts on other major KRW markets.
DEFAULT_SYMBOLS = (
    "KRW-BTC",
    "KRW-ETH",
    "KRW-XRP",
    "KRW-SOL",
    "KRW-DOGE",
    "KRW-ADA",
    "KRW-TRX",
    "KRW-LINK",
    "KRW-AVAX",
)


def _default_symbols() -> list[str]:
    return list(DEFAULT_SYMBOLS)


def _default_intervals() -> list[str]:
    return ["1m"] * MAX_CHARTS


LINK_GROUP_NAMES = ("red", "green", "blue", "yellow")


def _default_chart_links() -> list[str]:
    return ["red"] + [""] * (MAX_CHARTS - 1)


@dataclass
class Config:
    theme: str = "dantaro-dark"
    layout: str = "2x2"
    exchange: str = "upbit"
    symbols: list[str] = field(default_factory=_default_symbols)
    intervals: list[str] = field(default_factory=_default_intervals)
    vwap: bool = False
    bollinger: bool = False
    scanner_threshold: float = 5.0  # % 24h move that counts as a pump or dump
    scanner_sort: str = "value"
    # Link group per pane ("" = none): charts 1-9, then the order book and the trade tape.
    chart_links: list[str] = field(default_factory=_default_chart_links)
    book_link: str = "red"
    tape_link: str = "red"
    # [alerts]: the kinds that toast ([] = none) and the 24h turnover (KRW) a market needs
    # before it can alert.
    alert_toasts: list[str] = field(default_factory=lambda: list(DEFAULT_ALERT_TOASTS))
    alert_min_turnover: float = DEFAULT_ALERT_MIN_TURNOVER
    # [notify] and [[watch]] (services/watch_config.py): parsed, and the tables as read,
    # which are written back as they were.
    notify: NotifySettings = field(default_factory=NotifySettings)
    watch_rules: list[WatchRule] = field(default_factory=list)
    notify_table: dict[str, Any] = field(default_factory=dict)
    # [premium] (services/premium_config.py): the bank rate, fees, transfer cost; the table
    # as read is written back as it was.
    premium: PremiumSettings = field(default_factory=PremiumSettings)
    premium_table: dict[str, Any] = field(default_factory=dict)
    watch_tables: list[dict[str, Any]] = field(default_factory=list)
    # Not persisted: where the file lives and what went wrong reading it.
    path: Path | None = field(default=None, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)
    # The bytes of the file as read (None: there was no file), and why it must not be
    # overwritten ("" = it was read) or should be backed up first.
    source: bytes | None = field(default=None, compare=False, repr=False)
    unreadable: str = field(default="", compare=False)
    doubtful: bool = field(default=False, compare=False)
    # First start (no settings file yet) in a Korean locale: the theme was set to the Korean
    # red-up/blue-down one (``KOREAN_THEME``); the app says so once.
    korean_default: bool = field(default=False, compare=False)

    def copy(self) -> Config:
        return replace(
            self,
            symbols=list(self.symbols),
            intervals=list(self.intervals),
            chart_links=list(self.chart_links),
            alert_toasts=list(self.alert_toasts),
            watch_rules=list(self.watch_rules),
            notify_table=dict(self.notify_table),
            premium_table=dict(self.premium_table),
            watch_tables=[dict(t) for t in self.watch_tables],
            warnings=list(self.warnings),
        )


PERSISTED = (
    "theme",
    "layout",
    "exchange",
    "vwap",
    "bollinger",
    "scanner_threshold",
    "scanner_sort",
    "symbols",
    "intervals",
    "chart_links",
    "book_link",
    "tape_link",
    "alert_toasts",
    "alert_min_turnover",
)


class ConfigNotSaved(OSError):
    """The settings file was left as it is (it could not be read): ``str(exc)`` says why."""


MAX_FILE_BYTES = 1 << 20  # a settings file is a few hundred bytes; more is not one


def known_exchanges() -> list[str]:
    """Exchanges the cockpit can run on: a streaming codec and a REST adapter (a codec
    alone, as for a venue still being added, is not enough)."""
    from dantaro_tui.exchanges import exchanges
    from dantaro_tui.feed.rest_venues import RestClient

    return sorted(set(exchanges()) & set(RestClient.venues()))


def default_path() -> Path:
    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def config_path(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("DANTARO_CONFIG"):
        return Path(env["DANTARO_CONFIG"]).expanduser()
    return default_path()


# -- validation ----------------------------------------------------------------------------
def _symbol(value: object) -> str | None:
    """A market as the cockpit takes it: ``KRW-BTC`` (home venue) or ``binance:BTCUSDT``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if ":" in text:
        from dantaro_tui.venues import full_ref, split_ref

        try:
            exchange, code = split_ref(text, "upbit")
        except ValueError:
            return None
        return full_ref(exchange, code)
    code = text.upper()
    if not code or any(c.isspace() or c in ",;/" for c in code):
        return None
    return code


def _apply(cfg: Config, data: Mapping[str, Any], source: str) -> None:
    """Copy valid keys of ``data`` onto ``cfg``; anything wrong becomes a warning."""

    def warn(text: str) -> None:
        cfg.warnings.append(f"{source}: {text}")

    for key, value in data.items():
        if value is None:
            continue
        if key == "theme":
            if isinstance(value, str) and value.strip():
                cfg.theme = value.strip()
            else:
                warn(f"theme {value!r} is not a name")
        elif key == "layout":
            text = str(value).strip().lower().replace("×", "x")
            if text in LAYOUTS:
                cfg.layout = text
            else:
                warn(f"layout {value!r} is not one of {', '.join(LAYOUTS)}")
        elif key == "exchange":
            known = known_exchanges()
            name = value.strip().lower() if isinstance(value, str) else ""
            if name in known:
                cfg.exchange = name
            else:
                warn(
                    f"exchange {value!r} is not supported (known: {', '.join(known)}); "
                    f"using {cfg.exchange}"
                )
        elif key in ("vwap", "bollinger"):
            if isinstance(value, bool):
                setattr(cfg, key, value)
            elif isinstance(value, str) and value.lower() in (
                "1",
                "true",
                "yes",
                "on",
                "0",
                "false",
                "no",
                "off",
            ):
                setattr(cfg, key, value.lower() in ("1", "true", "yes", "on"))
            else:
                warn(f"{key} should be true or false, not {value!r}")
        elif key == "scanner_threshold":
            try:
                threshold = float(value)
            except (TypeError, ValueError, OverflowError):
                warn(f"scanner_threshold {value!r} is not a number")
                continue
            if 0.0 < threshold <= 100.0:
                cfg.scanner_threshold = threshold
            else:
                warn(f"scanner_threshold {value!r} should be between 0 and 100 (%)")
        elif key == "scanner_sort":
            if value in SCANNER_SORTS:
                cfg.scanner_sort = value
            else:
                warn(f"scanner_sort {value!r} is not one of {', '.join(SCANNER_SORTS)}")
        elif key == "symbols":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                warn("symbols should be a list of market codes")
                continue
            codes = [_symbol(v) for v in items]
            bad = [v for v, c in zip(items, codes, strict=True) if c is None]
            if bad:
                warn(f"ignored market codes {bad!r}")
            good = [c for c in codes if c][:MAX_CHARTS]
            if good:
                cfg.symbols = (
                    good + [s for s in DEFAULT_SYMBOLS if s not in good][: MAX_CHARTS - len(good)]
                )
        elif key == "intervals":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                warn('intervals should be a list such as ["1m", "1h"]')
                continue
            out = list(cfg.intervals)
            for i, item in enumerate(list(items)[:MAX_CHARTS]):
                text = str(item).strip()
                if text in INTERVALS:
                    out[i] = text
                else:
                    warn(f"interval {item!r} is not one of {', '.join(INTERVALS)}")
            cfg.intervals = out
        elif key in ("links_charts", "links_book", "links_tape"):
            _apply_links(cfg, key, value, warn)
        elif key == "alert_toasts":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                warn('alerts.toasts should be a list such as ["connection", "pump"]')
                continue
            kinds = [str(v).strip().lower() for v in items if str(v).strip()]
            bad = [k for k in kinds if k not in ALERT_KINDS]
            if bad:
                warn(
                    f"alerts.toasts: unknown alert kind {', '.join(map(repr, bad))} "
                    f"(known: {', '.join(ALERT_KINDS)}; ignored)"
                )
            cfg.alert_toasts = list(dict.fromkeys(k for k in kinds if k in ALERT_KINDS))
        elif key == "alert_min_turnover":
            try:
                turnover = float(value)
            except (TypeError, ValueError, OverflowError):
                warn(f"alerts.min_turnover {value!r} is not a number (KRW)")
                continue
            if turnover >= 0.0 and turnover != float("inf"):
                cfg.alert_min_turnover = turnover
            else:
                warn(f"alerts.min_turnover {value!r} should be 0 or more (KRW of 24h turnover)")
        elif key == "notify":
            cfg.notify = parse_notify(value, warn)
            if isinstance(value, Mapping):
                cfg.notify_table = writable(value)
        elif key == "premium":
            cfg.premium = parse_premium(value, warn)
            if isinstance(value, Mapping):
                cfg.premium_table = writable(value)
        elif key == "notify_urls":  # the environment: tokens need not sit in the file
            cfg.notify = replace(cfg.notify, **_notify_urls(value, warn))
        elif key == "watch":
            cfg.watch_rules = parse_rules(value, warn)
            if isinstance(value, list | tuple):
                cfg.watch_tables = [writable(t) for t in value if isinstance(t, Mapping)]
        else:
            warn(f"unknown setting {key!r} (ignored)")


def _notify_urls(value: Any, warn: Callable[[str], None]) -> dict[str, Any]:
    """``DANTARO_NOTIFY_URLS``: Apprise URLs separated by spaces (or commas)."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    settings = parse_notify({"urls": items}, warn)
    return {"urls": settings.urls}


def _link_group(value: object) -> str | None:
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("", "none"):
        return ""
    return text if text in LINK_GROUP_NAMES else None


def _apply_links(cfg: Config, key: str, value: Any, warn: Callable[[str], None]) -> None:
    """``[links]``: ``charts = ["red", "", ...]``, ``book = "red"``, ``tape = "red"``."""
    known = ", ".join(LINK_GROUP_NAMES)
    if key == "links_charts":
        if not isinstance(value, list | tuple):
            warn('links.charts should be a list such as ["red", "", "green"]')
            return
        out = list(cfg.chart_links)
        for i, item in enumerate(list(value)[:MAX_CHARTS]):
            group = _link_group(item)
            if group is None:
                warn(f"link group {item!r} is not one of {known} or empty")
            else:
                out[i] = group
        cfg.chart_links = out
        return
    group = _link_group(value)
    if group is None:
        warn(f"link group {value!r} is not one of {known} or empty")
    elif key == "links_book":
        cfg.book_link = group
    else:
        cfg.tape_link = group


def _flatten(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The file groups keys in tables; the Config is flat."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "charts" and isinstance(value, Mapping):
            for sub in ("symbols", "intervals", "vwap", "bollinger"):
                if sub in value:
                    flat[sub] = value[sub]
            for sub in value:
                if sub not in ("symbols", "intervals", "vwap", "bollinger"):
                    flat[f"charts.{sub}"] = value[sub]
        elif key == "links" and isinstance(value, Mapping):
            for sub, item in value.items():
                known = sub in ("charts", "book", "tape")
                flat[f"links_{sub}" if known else f"links.{sub}"] = item
        elif key == "alerts" and isinstance(value, Mapping):
            for sub, item in value.items():
                known = sub in ("toasts", "min_turnover")
                flat[f"alert_{sub}" if known else f"alerts.{sub}"] = item
        elif key == "scanner" and isinstance(value, Mapping):
            for sub, item in value.items():
                flat[f"scanner_{sub}" if sub in ("threshold", "sort") else f"scanner.{sub}"] = item
        else:
            flat[key] = value
    return flat


ENV_KEYS = {
    "DANTARO_THEME": "theme",
    "DANTARO_LAYOUT": "layout",
    "DANTARO_EXCHANGE": "exchange",
    "DANTARO_SYMBOLS": "symbols",
    "DANTARO_INTERVALS": "intervals",
    "DANTARO_VWAP": "vwap",
    "DANTARO_BOLLINGER": "bollinger",
    "DANTARO_SCANNER_THRESHOLD": "scanner_threshold",
    "DANTARO_SCANNER_SORT": "scanner_sort",
    "DANTARO_ALERT_TOASTS": "alert_toasts",
    "DANTARO_NOTIFY_URLS": "notify_urls",
}


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Defaults < file < environment < ``overrides`` (the command-line flags).

    Never raises for a bad file: the problem is kept in ``Config.warnings`` for the app to
    show, and the defaults stand in.
    """
    env = os.environ if env is None else env
    cfg = Config()
    cfg.path = config_path(path, env)
    doc = _read_file(cfg, cfg.path)
    if doc is not None:
        before = len(cfg.warnings)
        _apply(cfg, _flatten(doc), str(cfg.path.name))
        cfg.doubtful = len(cfg.warnings) > before  # rewriting it would drop something
    elif cfg.source is None and not cfg.unreadable and korean_locale(env):
        # First start: Korean traders read rising red, falling blue. A saved theme, the
        # environment and the flags still win.
        cfg.theme, cfg.korean_default = KOREAN_THEME, True
    _apply(cfg, {key: env[name] for name, key in ENV_KEYS.items() if env.get(name)}, "env")
    if overrides:
        _apply(cfg, dict(overrides), "flag")
    cfg.korean_default = cfg.korean_default and cfg.theme == KOREAN_THEME
    return cfg


KOREAN_THEME = "dantaro-korea"
KOREAN_THEME_NOTE = "한국식 색상(상승 빨강, 하락 파랑) — t to change"


def korean_locale(env: Mapping[str, str]) -> bool:
    """The user's language is Korean: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    that names a language (``C`` and ``POSIX`` name none) starts with ``ko``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if not value or value.split(".")[0] in ("C", "POSIX"):
            continue
        return value.lower().startswith("ko")
    return False


def _read_file(cfg: Config, path: Path) -> dict[str, Any] | None:
    """The parsed file, or None (no file, or a problem: then a warning says so and
    ``cfg.unreadable`` keeps the file from being overwritten)."""

    def problem(what: str) -> None:
        cfg.unreadable = what
        cfg.warnings.append(f"{path}: {what}; using the defaults (the file is left as it is)")

    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        problem("it is a folder, not a settings file")
        return None
    except OSError as exc:
        problem(f"it could not be read ({exc.strerror or exc})")
        return None
    if len(data) > MAX_FILE_BYTES:
        problem(f"it is larger than {MAX_FILE_BYTES // 1024} KiB, too large for a settings file")
        return None
    cfg.source = data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem(f"it is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem(f"it is not valid TOML ({exc})")
    except RecursionError:
        problem("it is not a settings file (arrays or tables nested too deeply)")
    except Exception as exc:  # tomllib on pathological input: never a traceback
        problem(f"it could not be parsed ({type(exc).__name__})")
    return None


# -- writing -------------------------------------------------------------------------------
def _toml_str(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps(cfg: Config) -> str:
    return "\n".join(
        [
            "# dantaro-tui settings; the app rewrites this file when you change them.",
            f"theme = {_toml_value(cfg.theme)}",
            f"layout = {_toml_value(cfg.layout)}",
            f"exchange = {_toml_value(cfg.exchange)}",
            "",
            "[charts]",
            f"symbols = {_toml_value(list(cfg.symbols))}",
            f"intervals = {_toml_value(list(cfg.intervals))}",
            f"vwap = {_toml_value(cfg.vwap)}",
            f"bollinger = {_toml_value(cfg.bollinger)}",
            "",
            "[scanner]",
            f"threshold = {_toml_value(float(cfg.scanner_threshold))}",
            f"sort = {_toml_value(cfg.scanner_sort)}",
            "",
            "[links]",
            f"charts = {_toml_value(list(cfg.chart_links))}",
            f"book = {_toml_value(cfg.book_link)}",
            f"tape = {_toml_value(cfg.tape_link)}",
            "",
            "[alerts]",
            f"toasts = {_toml_value(list(cfg.alert_toasts))}",
            f"min_turnover = {_toml_value(float(cfg.alert_min_turnover))}",
            "",
            *_tables(cfg),
        ]
    )


def _tables(cfg: Config) -> list[str]:
    """``[notify]``, ``[premium]`` and the ``[[watch]]`` rules, as they were read (none:
    nothing)."""
    lines: list[str] = []
    for header, table in [("[notify]", cfg.notify_table), ("[premium]", cfg.premium_table)] + [
        ("[[watch]]", t) for t in cfg.watch_tables
    ]:
        if not table and header != "[[watch]]":
            continue
        lines.append(header)
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items())
        lines.append("")
    return lines


def _toml_key(key: str) -> str:
    bare = key and all((c.isalnum() and c.isascii()) or c in "_-" for c in key)
    return key if bare else _toml_str(key)


def save_config(cfg: Config, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the persisted settings atomically (temp file + rename). OSError on failure.

    Writing back to the file ``cfg`` was read from: never when it could not be read
    (``ConfigNotSaved``, which says why); its bytes are first kept in ``<name>.bak`` when
    it had values that were not used or changed on disk since it was read.
    """
    target = Path(path) if path is not None else (cfg.path or default_path())
    own = cfg.path is not None and target == cfg.path
    if own and cfg.unreadable:
        raise ConfigNotSaved(
            f"{target} was not overwritten because {cfg.unreadable}; fix or remove it "
            "to have your settings saved"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if own:
        try:
            current: bytes | None = target.read_bytes()
        except FileNotFoundError:
            current = None
        if current is not None and (cfg.doubtful or current != cfg.source):
            _write_atomic(target.with_name(target.name + ".bak"), current)
    text = dumps(cfg).encode("utf-8")
    _write_atomic(target, text)
    if own:
        cfg.source, cfg.doubtful = text, False
    return target


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def persisted(cfg: Config) -> dict[str, Any]:
    """The settings that are written back, as plain values (for tests and comparisons)."""
    names = {f.name for f in fields(Config)}
    return {k: getattr(cfg, k) for k in PERSISTED if k in names}


# -- themes --------------------------------------------------------------------------------
def theme_dirs() -> list[Path]:
    """Where theme files (``*.py`` defining ``THEME``) are looked for, in order: the
    project's ``themes/`` folder, then ``themes/`` beside the user's config file."""
    dirs = []
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "themes", here / "themes"):
        if candidate.is_dir():
            dirs.append(candidate)
    user = Path(user_config_dir(APP_NAME, appauthor=False)) / "themes"
    if user.is_dir():
        dirs.append(user)
    return dirs


def load_themes(dirs: list[Path] | None = None) -> tuple[dict[str, Theme], list[str]]:
    """Every ``THEME`` found in the theme folders, by name, and the problems met."""
    from textual.theme import Theme

    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in theme_dirs() if dirs is None else dirs:
        for file in sorted(folder.glob("*.py")):
            if file.name.startswith("_"):
                continue
            try:
                spec = importlib.util.spec_from_file_location(
                    f"dantaro_theme_{file.stem.replace('-', '_')}", file
                )
                if spec is None or spec.loader is None:
                    continue
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            except Exception as exc:
                problems.append(f"theme file {file.name} failed to load: {exc}")
                continue
            theme = getattr(module, "THEME", None)
            if isinstance(theme, Theme):
                themes[theme.name] = theme
    return themes, problems
