"""Command line for the sandbox.

    python -m sandbox                       run the sandbox server and its web chat (a bot connects to it)
    python -m sandbox control --faults "script=500,502,slow:2"   switch faults on a running sandbox
    python -m sandbox control --limits off                        raise limits on a running sandbox

Faults: "script=500,502,slow:2,drop,drop_after,429:5,ok" (one per request, in order) or
"rate=0.1,kinds=500+502+slow+drop+429,seed=1,methods=sendMessage+sendPhoto".
Limits: "off" or "bot=30,chat=1,burst=4,group=20".

The sandbox knows nothing of the bot. To run Wufei together with a sandbox, use the bot's run
command without a token (`make run`, `python main.py run`; code in bot/sandbox_mode.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import urllib.request

from .faults import Faults
from .limits import Limits
from .server import SandboxServer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sandbox", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--token", help="bot token to accept (default: a generated SANDBOX token)")
    p.add_argument("--any-token", action="store_true", help="accept any bot token")
    p.add_argument("--limits", default="", help='flood limits, e.g. "off" or "chat=5,burst=10"')
    p.add_argument("--faults", default="", help='fault injection, e.g. "rate=0.05,kinds=500+502"')
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="command")
    c = sub.add_parser("control", help="change faults/limits of a running sandbox")
    c.add_argument("--url", default="http://127.0.0.1:8081")
    c.add_argument("--faults", default=None, help='new fault spec ("" clears)')
    c.add_argument("--limits", default=None, help='new limits ("" restores defaults)')
    return p


def _control(args: argparse.Namespace) -> int:
    body = {k: v for k, v in (("faults", args.faults), ("limits", args.limits)) if v is not None}
    req = urllib.request.Request(
        args.url.rstrip("/") + "/sandbox/api/control",
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body else "GET",
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            print(json.dumps(json.load(resp), indent=2, ensure_ascii=False))
    except OSError as exc:
        print(f"cannot reach the sandbox at {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve_alone(args: argparse.Namespace) -> int:
    server = SandboxServer(
        host=args.host,
        port=args.port,
        token=args.token,
        limits=Limits.parse(args.limits) if args.limits else Limits(),
        faults=Faults.parse(args.faults) if args.faults else Faults(),
        accept_any_token=args.any_token,
    )
    try:
        await server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"Sandbox Bot API: {server.base_url}  (TelegramAPIServer.from_base({server.base_url!r}))\n"
        f"Bot token:       {server.token}\n"
        f"Web chat:        {server.webchat_url}\n"
        f"Run Wufei against it: WUFEI_API_BASE={server.base_url} WUFEI_BOT_TOKEN={server.token} "
        "python main.py run",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "control":
        return _control(args)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        Limits.parse(args.limits) if args.limits else None
        Faults.parse(args.faults) if args.faults else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve_alone(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
