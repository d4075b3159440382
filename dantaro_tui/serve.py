"""``dantaro-tui serve``: the cockpit in a web browser, through textual-serve.

Every browser tab starts its own cockpit process (``dantaro-tui tui`` with the cockpit
flags given here, every one of them) and talks to it over a WebSocket; with ``--source
redis://...`` (or ``DANTARO_SOURCE`` set) they all read one collector instead of each
opening the exchange's sockets. The start line says where the tabs' prices come from. The
server binds to loopback unless told otherwise, and says plainly what binding elsewhere
means: there is no login, anyone who reaches the port gets a cockpit.

Tabs do not write the settings file back (``--save`` to let them): several cockpits
rewriting one file would undo each other's changes.

    dantaro-tui serve --demo                 # http://127.0.0.1:8000
    dantaro-tui serve --demo --premium bithumb=2.8
    dantaro-tui serve --host 0.0.0.0 --public-url http://desk.local:8000
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import sys

from rich.console import Console
from rich.text import Text

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_serve_args(parser: argparse.ArgumentParser) -> None:
    from dantaro_tui.ui.run import add_tui_args

    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any)")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it is not http://HOST:PORT (a proxy, a name)",
    )
    parser.add_argument(
        "--save", action="store_true", help="let the tabs write their settings back"
    )
    group = parser.add_argument_group("cockpit flags (for every tab)")
    add_tui_args(group)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cockpit_actions() -> list[argparse.Action]:
    """The cockpit's flags as its own parser defines them: a flag added to the cockpit is
    passed on by serve without anyone having to remember to."""
    from dantaro_tui.ui.run import add_tui_args

    parser = argparse.ArgumentParser(add_help=False)
    add_tui_args(parser)
    # argparse has no public list of a parser's arguments; _actions is the usual way in
    # (typeshed declares it), and the parser is a throwaway of our own.
    return [action for action in parser._actions if action.option_strings]


def cockpit_argv(args: argparse.Namespace) -> list[str]:
    """The cockpit flags given to serve, as the tab's command line writes them: those left
    at their default are left out (the tab's default is the same)."""
    argv: list[str] = []
    for action in cockpit_actions():
        value = getattr(args, action.dest, action.default)
        if value == action.default:
            continue
        flag = max(action.option_strings, key=len)  # --long-name, not -x
        if action.nargs == 0:  # a switch: store_true
            argv.append(flag)
        elif isinstance(value, list):  # repeatable (append): each value again
            for item in value:
                argv.extend([flag, str(item)])
        else:
            argv.extend([flag, str(value)])
    return argv


def cockpit_command(args: argparse.Namespace) -> str:
    """The shell command each tab runs: this Python, the cockpit, the flags given."""
    argv = [sys.executable, "-m", "dantaro_tui", "tui", *cockpit_argv(args)]
    if not args.save and "--no-save" not in argv:
        argv.append("--no-save")
    return shlex.join(argv)


def check_cockpit_flags(args: argparse.Namespace) -> str:
    """Why the tabs' cockpit would refuse these flags ("" if it would not): said once here,
    before serving, rather than in every browser tab."""
    from dantaro_tui.cli_flags import chosen_source, premiums_from

    try:
        premiums_from(args)
        source = chosen_source(args.source)
        if source is not None and args.demo and not source.from_env:
            raise ValueError("--source and --demo: pick one (collect --demo)")
        if source is not None and not args.demo:
            source.url()
    except ValueError as exc:
        return str(exc)
    return ""


def tab_feeds(args: argparse.Namespace) -> str:
    """Where every tab's prices come from, for the start line: the trader should not learn
    from a tab that an environment variable sent it to a collector."""
    from dantaro_tui.cli_flags import chosen_source
    from dantaro_tui.feed.redis_layout import redact

    if args.demo:
        return "the simulator (DEMO, prices are not real)"
    source = chosen_source(args.source)
    if source is None:
        return "the exchanges"
    url = redact(source.url())  # checked by check_cockpit_flags
    return f"the collector at {url}" + (f" ({source.origin})" if source.from_env else "")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def public_url(host: str, port: int, explicit: str | None) -> str:
    """What the page tells the browser to connect back to. A wildcard bind (0.0.0.0)
    is no address a browser can use: this machine's name stands in."""
    if explicit:
        return explicit.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn() or "localhost"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve_main(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    console = Console(stderr=True)
    if not 0 <= args.port <= 65535:
        console.print(Text(f"error: --port {args.port} is not a port (0-65535)", style="red"))
        return EXIT_USAGE
    problem = check_cockpit_flags(args)
    if problem:
        console.print(Text(f"error: {problem}", style="red"))
        return EXIT_USAGE
    port = args.port
    try:
        if port == 0:
            port = _free_port(args.host)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        console.print(Text(f"error: cannot listen on {args.host}: {reason}", style="red"))
        return EXIT_FAILED
    if not is_loopback(args.host):
        console.print(
            Text(
                f"warning: serving on {args.host}:{port} lets anyone who can reach this "
                "machine open a cockpit, with no login; keep the default 127.0.0.1 and use an "
                "SSH tunnel, or put an authenticating proxy in front.",
                style="bold yellow",
            )
        )
    url = public_url(args.host, port, args.public_url)
    server = Server(
        cockpit_command(args),
        host=args.host,
        port=port,
        title="dantaro-tui" + (" DEMO" if args.demo else ""),
        public_url=url,
    )
    console.print(Text(f"dantaro-tui cockpit on {url}; feeds from {tab_feeds(args)}"))
    try:
        server.serve()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        console.print(Text(f"error: cannot listen on {args.host}:{port}: {reason}", style="red"))
        return EXIT_FAILED
    return EXIT_OK
