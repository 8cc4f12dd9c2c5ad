"""python -m bereik.sandbox build | run CONFIG_DIR | mirror"""

import argparse
import signal
import sys
from pathlib import Path

from bereik.sandbox.chroot import Asterisk, SandboxError, ami_login_from, build_root, debian_mirror


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bereik.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the Asterisk chroot if it is missing")
    build.add_argument("--cache", type=Path, help="cache directory (default: $BEREIK_SANDBOX_CACHE or ~/.cache/bereik)")
    build.add_argument("--force", action="store_true", help="rebuild even if it exists")
    run = commands.add_parser("run", help="run Asterisk with a configuration directory until Ctrl-C")
    run.add_argument("config_dir", type=Path)
    commands.add_parser("mirror", help="print the Debian mirror the chroot is built from")
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            print(build_root(args.cache, force=args.force))
        elif args.command == "mirror":
            print(debian_mirror())
        else:
            with Asterisk(args.config_dir, ami_login_from(args.config_dir)) as asterisk:
                print(f"Asterisk is running (console log: {asterisk.log_path}); Ctrl-C stops it", flush=True)
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                try:
                    status = asterisk.wait()
                except KeyboardInterrupt:
                    return 0
                print(f"Asterisk exited with status {status}\n{asterisk.log_tail()}", file=sys.stderr)
                return 1
    except SandboxError as error:
        print(f"bereik sandbox: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
