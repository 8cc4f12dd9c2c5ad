"""`python -m bench [NAME ...] [--options of the one NAME]`: run the named benchmarks (all when none is named).

Options after a single name go to that benchmark, e.g. `python -m bench call_paths --rates 50,100`.
"""
import asyncio
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path


def main(arguments: list[str]) -> int:
    names = [a for a in arguments if not a.startswith("-")] if not any(a.startswith("-") for a in arguments) \
        else arguments[:1]
    options = arguments[len(names):]
    modules = pkgutil.iter_modules([str(Path(__file__).parent)])
    available = sorted(m.name for m in modules if not m.ispkg and not m.name.startswith("_"))
    unknown = set(names) - set(available)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available)}")
        return 2
    status = 0
    for name in names or available:
        print(f"\n=== bench {name} ===", flush=True)
        entry = importlib.import_module(f"bench.{name}").main
        call = (lambda: entry(options)) if "argv" in inspect.signature(entry).parameters else entry
        result = asyncio.run(call()) if inspect.iscoroutinefunction(entry) else call()
        status = status or (result or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
