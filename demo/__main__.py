"""Serve or export the demo web.

    python -m demo serve --seed 7 --size 300 --port 8800
    python -m demo export-kbo DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo import DemoError
from demo.kbo_export import write_kbo_opendata
from demo.server import DemoServer
from demo.world import build_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the demo web on loopback")
    export = sub.add_parser("export-kbo", help="write the demo register as KBO Open Data CSV")
    export.add_argument("directory", type=Path)
    for p in (serve, export):
        p.add_argument("--seed", type=int, default=7)
        p.add_argument("--size", type=int, default=300)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8800)
    serve.add_argument("--no-faults", action="store_true", help="leave out the faulty pages")
    args = parser.parse_args(argv)
    try:
        world = build_world(args.seed, args.size)
        if args.command == "export-kbo":
            counts = write_kbo_opendata(world, args.directory)
            for name, n in counts.items():
                print(f"{name}.csv: {n} rows")
            return 0
        server = DemoServer(world, host=args.host, port=args.port, faults=not args.no_faults)
        print(f"demo web on {server.url} (seed {args.seed}, {world.n_ads} ads, "
              f"{world.n_listings} listings, {len(world.employers)} employers); Ctrl-C stops",
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
