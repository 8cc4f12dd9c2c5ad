"""`python -m bench [NAME ...]`: run the named benchmarks (all when none is named)."""
import asyncio
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    modules = pkgutil.iter_modules([str(Path(__file__).parent)])
    available = sorted(m.name for m in modules if m.name != "process_agi" and not m.name.startswith("_"))
    unknown = set(names) - set(available)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available)}")
        return 2
    status = 0
    for name in names or available:
        print(f"\n=== bench {name} ===", flush=True)
        entry = importlib.import_module(f"bench.{name}").main
        result = asyncio.run(entry()) if inspect.iscoroutinefunction(entry) else entry()
        status = status or (result or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
