"""Command line: ``dantaro-tui [tui flags]`` (the default), ``sim``, ``record``, ``replay``,
``export``, ``watch``, ``serve``. Each subcommand's flags and body live with the code they
drive."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from dantaro_tui.cli_flags import add_intensity_arg, add_premium_args, premiums_from

SUBCOMMANDS = ("tui", "sim", "record", "replay", "export", "watch", "serve", "collect")


def _add_sim_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the market")
    add_premium_args(parser, kimchi_default=0.0)
    add_intensity_arg(parser, what="message volume multiplier")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="KEY:SECRET",
        help="a paper account for this API key pair (repeatable; default: a generated pair, "
        "printed at start)",
    )


def _sim_main(args: argparse.Namespace) -> int:
    from dantaro_tui.sim.account import generate_key, parse_account
    from dantaro_tui.sim.server import run

    try:
        accounts = [parse_account(text) for text in args.account]
        premiums = premiums_from(args, needs_demo=False)  # the simulator is the command
    except ValueError as exc:
        print(f"dantaro-tui sim: {exc}", file=sys.stderr)
        return 2
    if not accounts:
        accounts = [generate_key()]
        # stderr: stdout's first line is the endpoints' JSON, which callers parse.
        print(
            "dantaro-tui sim: paper account (simulated money) - "
            f"DANTARO_UPBIT_ACCESS_KEY={accounts[0].access_key} "
            f"DANTARO_UPBIT_SECRET_KEY={accounts[0].secret_key}",
            file=sys.stderr,
            flush=True,
        )
    try:
        run(
            args.host,
            args.port,
            args.seed,
            args.kimchi_premium,
            args.intensity,
            accounts,
            premiums,
        )
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        print(
            f"dantaro-tui sim: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr
        )
        return 1
    return 0


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dantaro-tui")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from dantaro_tui import serve, watch
    from dantaro_tui.recording import cli as rec
    from dantaro_tui.recording import collect
    from dantaro_tui.ui import run as tui

    parser = argparse.ArgumentParser(
        prog="dantaro-tui",
        usage="dantaro-tui [cockpit flags] | dantaro-tui COMMAND [flags]",
        description="Terminal market monitor for crypto traders. Without a command it opens "
        "the trading cockpit (the 'tui' command) with the flags below.",
        epilog="Each command has its own help: dantaro-tui COMMAND --help.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    # Shown in the top-level help (the cockpit is the default command); main() hands
    # them to the 'tui' command, which parses them.
    tui.add_tui_args(parser.add_argument_group("cockpit flags (the default command)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    AddArgs = Callable[[argparse.ArgumentParser], None]
    Main = Callable[[argparse.Namespace], int]
    commands: dict[str, tuple[str, AddArgs, Main]] = {
        "tui": ("the trading cockpit (default)", tui.add_tui_args, tui.tui_main),
        "sim": ("serve the simulated exchange on loopback", _add_sim_args, _sim_main),
        "record": ("record live feeds to disk, no TUI", rec.add_record_args, rec.record_main),
        "replay": ("replay a recording", rec.add_replay_args, rec.replay_main),
        "export": ("export a recording to Parquet/CSV", rec.add_export_args, rec.export_main),
        "watch": (
            "send alerts by rule (Telegram, ntfy, ...), no TUI",
            watch.add_watch_args,
            watch.watch_main,
        ),
        "serve": ("the cockpit in a web browser", serve.add_serve_args, serve.serve_main),
        "collect": (
            "publish live feeds to Redis for many terminals, no TUI",
            collect.add_collect_args,
            collect.collect_main,
        ),
    }
    for name, (help_text, add_args, main) in commands.items():
        prog = "dantaro-tui" if name == "tui" else f"dantaro-tui {name}"
        p = sub.add_parser(name, prog=prog, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(func=main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # No command (or only cockpit flags) means the cockpit, so `dantaro-tui --demo` works.
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help", "--version"):
        argv.insert(0, "tui")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
