"""Flags several commands share: every cockpit flag reaches the cockpits ``serve`` starts, the
simulator's premiums are taken (and refused) alike everywhere, and ``DANTARO_SOURCE`` is the
default of ``--source``. The real parser, and the real commands in processes of their own."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dantaro_tui.cli import build_parser
from dantaro_tui.cli_flags import ENV_SOURCE, chosen_source
from dantaro_tui.feed.redis_layout import ENV_SOURCE as LAYOUT_ENV_SOURCE
from dantaro_tui.serve import cockpit_actions, cockpit_command

ROOT = Path(__file__).resolve().parents[1]


def long_flag(action: argparse.Action) -> str:
    return max(action.option_strings, key=len)


def given(action: argparse.Action) -> list[str]:
    """The flag written with a value other than its default, as a user might."""
    flag = long_flag(action)
    if action.nargs == 0:
        return [flag]
    if action.choices:
        value = next(str(c) for c in action.choices if c != action.default)
    elif action.type is int:
        value = str(int(action.default or 0) + 7)
    elif action.type is float or isinstance(action.default, float):  # checked floats too
        value = str(float(action.default or 0.0) + 1.5)
    else:
        value = f"given-{action.dest}"
    if isinstance(action.default, list):  # repeatable: both values must reach the tab
        return [flag, value, flag, f"{value}-again"]
    return [flag, value]


def tab_args(serve_argv: list[str]) -> argparse.Namespace:
    """What the cockpit of a tab parses, for ``dantaro-tui serve SERVE_ARGV``."""
    args = build_parser().parse_args(["serve", *serve_argv])
    command = shlex.split(cockpit_command(args))
    assert command[:4] == [sys.executable, "-m", "dantaro_tui", "tui"]
    return build_parser().parse_args(command[3:])


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in (ENV_SOURCE, "DANTARO_REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "dantaro_tui", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **(env or {})},
        cwd=ROOT,
    )


COCKPIT = cockpit_actions()


def test_the_cockpit_knows_every_flag_serve_passes_on() -> None:
    flags = {long_flag(a) for a in COCKPIT}
    # The cockpit's flags, as the cockpit's own parser has them (not a list kept by hand).
    assert {"--demo", "--premium", "--kimchi-premium", "--source", "--record"} <= flags
    assert not flags & {"--host", "--port", "--public-url", "--save"}  # serve's own


@pytest.mark.parametrize("action", COCKPIT, ids=[long_flag(a) for a in COCKPIT])
def test_every_cockpit_flag_given_to_serve_reaches_each_tab(action: argparse.Action) -> None:
    served = build_parser().parse_args(["serve", *given(action)])
    tab = tab_args(given(action))
    assert getattr(tab, action.dest) == getattr(served, action.dest) != action.default


def test_all_cockpit_flags_at_once_reach_the_tab_as_given() -> None:
    argv = [word for action in COCKPIT for word in given(action)]
    served = build_parser().parse_args(["serve", "--port", "8123", *argv])
    tab = tab_args(["--port", "8123", *argv])
    for action in COCKPIT:
        assert getattr(tab, action.dest) == getattr(served, action.dest), long_flag(action)


def test_tabs_do_not_write_settings_back_unless_serve_is_told_to() -> None:
    assert tab_args(["--demo"]).no_save is True
    assert tab_args(["--demo", "--save"]).no_save is False
    assert tab_args([]).demo is False  # a flag not given stays the cockpit's default


@pytest.mark.parametrize(
    "command",
    [["tui", "--demo"], ["serve", "--demo"], ["watch", "--demo"], ["sim"],
     ["collect", "--demo", "--markets", "all"]],
    ids=lambda c: c[0],
)  # fmt: skip
def test_every_command_running_the_simulator_takes_per_venue_premiums(
    command: list[str],
) -> None:
    args = build_parser().parse_args(
        [*command, "--premium", "bithumb=2.8", "--premium", "coinone=1.5", "--kimchi-premium", "4"]
    )
    assert args.premium == ["bithumb=2.8", "coinone=1.5"]
    assert args.kimchi_premium == 4.0


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["watch", "--demo", "--premium", "binance=2"], "the Korean venues"),
        (["watch", "--premium", "bithumb=2.8"], "add --demo"),
        (["watch", "--demo", "--kimchi-premium", "nan"], "between -100 and 100"),
        (["collect", "--demo", "--markets", "all", "--premium", "upbit=lots"], "not a number"),
        (["serve", "--port", "0", "--premium", "bithumb"], "VENUE=PERCENT"),
        (["--demo", "--premium", "okx=1"], "the Korean venues"),
    ],
)
def test_a_bad_premium_is_one_sentence_and_a_usage_error(argv: list[str], said: str) -> None:
    done = run(*argv, env={"DANTARO_REDIS_URL": "redis://127.0.0.1:1"})
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    assert said in " ".join(text.split())  # rich wraps long lines
    assert "Traceback" not in text
    assert len(text.strip().splitlines()) <= 3  # a sentence, not a help page


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "--intensity", "0"],
        ["watch", "--demo", "--intensity", "nan"],
        ["sim", "--intensity", "-1"],
        ["serve", "--demo", "--intensity", "lots"],
    ],
)
def test_a_market_with_no_volume_is_refused_in_one_sentence(argv: list[str]) -> None:
    done = run(*argv)
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    assert "not a message volume" in text and "above 0" in text
    assert "Traceback" not in text


def test_the_source_flag_wins_over_the_environment() -> None:
    env = {ENV_SOURCE: "redis://collector:6379"}
    chosen = chosen_source("redis://desk:6379", env)
    assert chosen is not None and chosen.value == "redis://desk:6379" and not chosen.from_env
    chosen = chosen_source(None, env)
    assert chosen is not None and chosen.value == "redis://collector:6379" and chosen.from_env
    assert chosen_source(None, {ENV_SOURCE: "  "}) is None  # blank: not set
    assert ENV_SOURCE == LAYOUT_ENV_SOURCE  # the one scripts read


def test_a_bad_source_in_the_environment_stops_serve_with_one_sentence() -> None:
    done = run("serve", "--port", "0", env={ENV_SOURCE: "http://desk:6379"})
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, text
    assert f"error: {ENV_SOURCE}: http://desk:6379 is not a Redis URL" in text
    assert "Traceback" not in text


def test_serve_says_its_tabs_read_the_collector_named_in_the_environment() -> None:
    """The tabs inherit the variable; the start line says so, password hidden. (Nothing
    need listen there: serve only names it, each tab's cockpit connects.)"""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, ENV_SOURCE: "redis://:hunter2@127.0.0.1:1/0"},
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # the start line (maybe wrapped) comes before serving
            lines.append(line)
            if ENV_SOURCE in line or len(lines) > 4:
                break
        text = " ".join(" ".join(lines).split())
        assert "feeds from the collector at redis://" in text, text
        assert f"({ENV_SOURCE})" in text and "hunter2" not in text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_bad_source_in_the_environment_stops_watch_and_the_cockpit_with_one_sentence() -> None:
    for argv, code in ((["watch"], 2), (["--no-save"], 1)):
        done = run(*argv, env={ENV_SOURCE: "http://desk:6379"})
        text = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == code, text
        assert f"{ENV_SOURCE}: http://desk:6379 is not a Redis URL" in text
        assert "Traceback" not in text


def test_demo_on_the_command_line_wins_over_the_environment_and_says_so() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "watch", "--demo", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, ENV_SOURCE: "redis://127.0.0.1:1/0"},  # nothing listens there
        cwd=ROOT,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "watching" in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    text = " ".join(("".join(lines) + out).split())
    assert proc.returncode == 0, text
    assert f"{ENV_SOURCE} is set, but --demo watches the simulator instead" in text
    assert "watching DEMO upbit KRW with" in text and "Traceback" not in text
