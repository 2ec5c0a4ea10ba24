"""`python -m local_stack`: the whole product on 127.0.0.1:$PORT (see docs/local-stack.md)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local_stack import demo
from local_stack.runtime import LocalStack
from local_stack.server import make_server
from local_stack.web_app import WEB_DIST

TICK_SECONDS = 1.0
log = logging.getLogger("local_stack")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--no-demo", action="store_true", help="start with empty tables")
    parser.add_argument(
        "--web-dist", type=Path, default=WEB_DIST, help="the built web app served at /app (default: web/dist)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stdout)
    logging.getLogger("local_stack").setLevel(logging.INFO)

    stack = LocalStack()
    try:
        server = make_server(stack, args.host, args.port, args.web_dist)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"Port {args.port} on {args.host} is already in use: stop it, or set PORT=<another port>.")
            return 1
        raise
    stack.start()
    if not args.no_demo:
        demo.seed(stack)

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()

    base = f"http://{args.host}:{server.server_port}"
    print(f"Local stack ready on {base}", flush=True)
    print(f"  API docs: {base}/docs   OpenAPI: {base}/openapi.json   health: {base}/dev/health")
    built = "" if (args.web_dist / "index.html").is_file() else "   (not built: run `make web`)"
    print(f"  web app: {base}/app/{built}")
    print(f'  tokens: curl -s -X POST {base}/dev/token -d \'{{"sub": "demo-client", "role": "client"}}\'')
    if not args.no_demo:
        print(f"  demo therapist id: {demo.THERAPIST.sub}   demo client id: {demo.CLIENT.sub}")
        for role, token in demo.tokens(stack).items():
            print(f"  export {role.upper()}_TOKEN={token}")
    sys.stdout.flush()

    while not stopping.wait(TICK_SECONDS):
        try:
            stack.settle()  # schedules come due and stream records arrive as real time passes too
        except Exception:  # one bad delivery must not take the whole stack down
            log.exception("delivering streams and schedules failed")
    # One write: print() writes the text and its newline apart, and a request's log line (written by the server's
    # thread once it has answered) could land between them.
    sys.stdout.write("Shutting down\n")
    sys.stdout.flush()
    server.shutdown()
    server.server_close()
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
