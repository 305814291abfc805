"""`python -m agent.testing.replay SCRIPT [--port N] [--record FILE]`: serve a script until SIGTERM/SIGINT.

The first line of output is the base URL (flushed), so a test can start this in another process
and read where to point the agent.
"""

from __future__ import annotations

import argparse
import signal
import sys

from agent.testing.replay.script import ScriptError
from agent.testing.replay.server import ReplayServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.testing.replay", description=__doc__)
    parser.add_argument("script", help="replay script (JSON file)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--record", help="append each request as a JSON line to this file")
    args = parser.parse_args(argv)
    record = open(args.record, "a", encoding="utf-8") if args.record else None  # noqa: SIM115
    try:
        server = ReplayServer(args.script, host=args.host, port=args.port, record=record)
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if record is not None:
            record.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
