"""Waiting in a test until something holds: one polling helper for all the tests."""
import asyncio
import inspect
import time


async def until(condition, timeout: float, what="the condition", step: float = 0.1) -> None:
    """Wait until `condition()` holds: a bool, or an awaitable of one. After `timeout` s, AssertionError
    "not within {timeout:g} s: {what}" (`what`: words, or a function that gives them, read only then)."""
    deadline = time.monotonic() + timeout
    while True:
        late = time.monotonic() > deadline  # read before the check, so a last check follows the deadline
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if late:
            raise AssertionError(f"not within {timeout:g} s: {what() if callable(what) else what}")
        await asyncio.sleep(step)
