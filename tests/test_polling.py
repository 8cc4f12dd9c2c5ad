"""The tests' one polling helper: it returns once the condition holds, and says what did not within the time."""
import asyncio

import pytest

from tests.polling import until


async def test_a_condition_that_holds_at_once_returns_without_a_poll():
    checks = []
    await until(lambda: checks.append(1) or True, 5, "at once")
    assert checks == [1]


async def test_a_condition_that_comes_to_hold_after_a_few_polls_returns_then():
    checks = []

    def third_time():
        checks.append(1)
        return len(checks) >= 3

    await until(third_time, 5, "the third check", step=0.01)
    assert len(checks) == 3


async def test_an_awaitable_condition_is_awaited():
    checks = []

    async def held():
        await asyncio.sleep(0)
        checks.append(1)
        return len(checks) >= 2

    await until(held, 5, "the second awaited check", step=0.01)
    await until(lambda: asyncio.sleep(0, result=True), 5, "an awaitable made by a lambda")
    assert len(checks) == 2


async def test_a_condition_that_never_holds_says_what_and_how_long():
    with pytest.raises(AssertionError, match=r"not within 0\.05 s: the light to turn green"):
        await until(lambda: False, 0.05, "the light to turn green", step=0.01)


async def test_a_condition_that_comes_to_hold_during_the_last_sleep_passes():
    loop = asyncio.get_running_loop()
    late = loop.time() + 0.055  # after the deadline, before the check that follows the last sleep
    await until(lambda: loop.time() >= late, 0.05, "the last check", step=0.03)


async def test_words_given_by_a_function_are_read_only_on_failure():
    asked = []

    def what():
        asked.append(1)
        return "the words, read late"

    await until(lambda: True, 0.05, what, step=0.01)
    assert asked == []
    with pytest.raises(AssertionError, match="the words, read late"):
        await until(lambda: False, 0.05, what, step=0.01)
    assert asked == [1]
