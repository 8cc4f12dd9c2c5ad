"""What a FastAGI handler does to a caller: ask, say, hand the decision to the dialplan.

Every step first re-arms the dialplan's watchdog (TIMEOUT(absolute)) for just
as long as the step should take, plus a margin. A bereik that freezes mid-call
(Asterisk has no AGI inactivity timeout) therefore loses the caller to the
dialplan within WATCHDOG_MARGIN seconds of when it should have acted; the
dialplan then sends the caller to the front office.
"""
from __future__ import annotations

import asyncio
import math
import wave
from collections.abc import Mapping, Sequence

from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiSession, exec_words

WATCHDOG_MARGIN = 3  # seconds
WATCHDOG = "TIMEOUT(absolute)"


class Voice:
    def __init__(self, prompts: PromptLibrary):
        self.prompts = prompts
        self._sounds: dict[str, tuple[str, float]] = {}

    async def ask(self, session: AgiSession, texts: Sequence[str], timeout: float) -> str | None:
        """Say `texts` and wait `timeout` s for one key; the key, or None."""
        sounds, seconds = await self._sounds_of(texts)
        await self.arm_watchdog(session, seconds + timeout)
        await session.execute("Read", var.READ_RESULT, "&".join(sounds), "1", "", "1", f"{timeout:g}",
                              timeout=seconds + timeout + 2 * WATCHDOG_MARGIN)
        key = await session.get_variable(var.READ_RESULT)
        return key[:1] if key else None

    async def ask_secret(self, session: AgiSession, texts: Sequence[str], max_digits: int, timeout: float) -> str:
        """Say `texts` and read up to `max_digits` keys (# ends them): the keys, "" when none. With AGI's
        GET DATA, so the keys never become a channel variable (in AMI's VarSet events or a CDR)."""
        sounds, seconds = await self._sounds_of(texts)
        await self.arm_watchdog(session, seconds + timeout)
        reply = await session.command("GET DATA", "&".join(sounds), str(int(timeout * 1000)), str(max_digits),
                                      timeout=seconds + timeout + 2 * WATCHDOG_MARGIN)
        return "".join(c for c in reply.result or "" if c in "0123456789")

    async def say(self, session: AgiSession, texts: Sequence[str]) -> None:
        if not texts:
            return
        sounds, seconds = await self._sounds_of(texts)
        await self.arm_watchdog(session, seconds)
        await session.execute("Playback", "&".join(sounds), timeout=seconds + 2 * WATCHDOG_MARGIN)

    @staticmethod
    async def hand_over(session: AgiSession, settings: Mapping[str, str], go_to: tuple[str, str, str] | None = None
                        ) -> None:
        """The decision as channel variables in one MSet, BEREIK_ROUTED last, as the session's last word (the
        caller moves on without waiting for bereik to run again): the dialplan never sees ROUTED without the rest.

        `go_to`: (context, extension, priority) where bereik sends the call on itself. The MSet then clears the
        watchdog and leaves out what only the dialplan after the AGI reads to find that place (the action, the queue
        and ROUTED): each step and each variable set is work for Asterisk's one AMI thread. Should Asterisk not
        carry out the Goto, that dialplan finds no ROUTED and sends the caller to the front office, as for any
        failure before the decision."""
        values = (f"{name}={var.field_value(name, value)}" for name, value in settings.items()
                  if not (go_to and name in var.PLACE))
        if go_to:
            await session.last_word(exec_words("MSet", f"{WATCHDOG}=0", *values), exec_words("Goto", *go_to))
        else:
            await session.last_word(exec_words("MSet", *values, f"{var.ROUTED}=1"))

    @staticmethod
    async def arm_watchdog(session: AgiSession, seconds: float) -> None:
        await session.set_variable(WATCHDOG, str(math.ceil(seconds) + WATCHDOG_MARGIN))

    async def _sounds_of(self, texts: Sequence[str]) -> tuple[list[str], float]:
        known = [await self._sound(text) for text in texts]
        return [name for name, _ in known], sum(seconds for _, seconds in known)

    async def _sound(self, text: str) -> tuple[str, float]:
        """Sound name and length of a text, rendered now if `bereik prompts` has not done it."""
        if text not in self._sounds:
            name, _ = await asyncio.to_thread(self.prompts.ensure, text)
            with wave.open(str(self.prompts.path(text))) as audio:
                self._sounds[text] = (name, audio.getnframes() / audio.getframerate())
        return self._sounds[text]
