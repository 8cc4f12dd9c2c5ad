"""The callers' decisions get an event loop of their own, in their own thread.

Everything else bereik does (AMI events for the records, the wallboard, the announcements,
presence, the console) runs on the main loop, and under load that loop is busy: a FastAGI
connection that waits there for its turn holds a caller in silence. On this loop a decision
waits for nothing but Asterisk (bench.call_paths measures it).

Python runs one thread at a time; a thread that wants to run waits at most the interpreter's
switch interval for the other to let go. `bereik run` lowers that from 5 ms to SWITCH_INTERVAL.
Handlers running here change the main loop's state only through `soon_on_main` (the recorder);
what they read from it is one dict operation, which the GIL keeps whole (the caller's place in the queue).
"""
from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005

T = TypeVar("T")


class DecisionLoop:
    def __init__(self, name: str = "bereik-decisions"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._main: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._main = asyncio.get_running_loop()
        self._thread.start()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the decision loop and wait for it from the main loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def on_main(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the main loop, where the shared clients live (Graph's session), and wait for it
        from the decision loop."""
        if self._main is None:  # not started: everything is on one loop
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._main))

    def soon_on_main(self, function: Callable[..., None]) -> Callable[..., None]:
        """`function`, called from the decision loop, run soon on the main loop, where its state lives."""
        def handed_to_main(*args: Any) -> None:
            if self._main is None:  # not started: everything is on one loop
                function(*args)
            else:
                self._main.call_soon_threadsafe(function, *args)
        return handed_to_main

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
        if not self.loop.is_running():
            self.loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


def prefer_short_switches() -> None:
    """A decision waits at most this long for the GIL when the main loop is busy."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def keep_collections_short() -> None:
    """Everything bereik built to start (configuration, prompts, imports) out of the garbage collector's way:
    a full collection stops every thread, a waiting decision too, for as long as it walks what is alive."""
    gc.collect()
    gc.freeze()
