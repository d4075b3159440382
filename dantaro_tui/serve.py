"""``dantaro-tui serve``: the cockpit in a web browser, through textual-serve.

Every browser tab starts its own cockpit process (``dantaro-tui tui`` with the cockpit
flags given here) and talks to it over a WebSocket; with ``--source redis://...`` they all
read one collector instead of each opening the exchange's sockets. The server binds to
loopback unless told otherwise, and says plainly what binding elsewhere means: there is
no login, anyone who reaches the port gets a cockpit.

Tabs do not write the settings file back (``--save`` to let them): several cockpits
rewriting one file would undo each other's changes.

    dantaro-tui serve --demo                 # http://127.0.0.1:8000
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
# The cockpit flags passed on to every tab's cockpit, with the value they take (None: a
# switch). The same names as the cockpit's own flags.
COCKPIT_FLAGS: dict[str, type | None] = {
    "demo": None,
    "seed": int,
    "intensity": float,
    "kimchi_premium": float,
    "theme": str,
    "layout": str,
    "symbols": str,
    "interval": str,
    "config": str,
    "source": str,
    "fallback": str,
}


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


def cockpit_command(args: argparse.Namespace) -> str:
    """The shell command each tab runs: this Python, the cockpit, the flags given."""
    argv = [sys.executable, "-m", "dantaro_tui", "tui"]
    for name, kind in COCKPIT_FLAGS.items():
        value = getattr(args, name, None)
        flag = "--" + name.replace("_", "-")
        if kind is None:
            if value:
                argv.append(flag)
        elif value is not None:
            argv.extend([flag, str(value)])
    if not args.save:
        argv.append("--no-save")
    return shlex.join(argv)


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
    console.print(f"dantaro-tui cockpit on {url}")
    try:
        server.serve()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        console.print(Text(f"error: cannot listen on {args.host}:{port}: {reason}", style="red"))
        return EXIT_FAILED
    return EXIT_OK
