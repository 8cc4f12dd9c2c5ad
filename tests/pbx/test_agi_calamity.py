"""*28 from a desk phone over a real FastAGI socket with a fake Asterisk: the PIN (read with GET DATA, so
never a channel variable), the choice, what is said, the lock after three wrong PINs, the audit log; and
the PIN never in bereik's log."""
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from fake_asterisk import FakeAsterisk

from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.phrases import feature_text
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiServer
from bereik.pbx.features import FeatureHandler
from bereik.presence.book import AbsenceBook
from bereik.records.store import SqliteStore
from bereik.routing.calamity import Mode, default_text
from bereik.secrets import CALAMITY_SECRET, SecretError, Secrets
from tests.examples import example_config

CONFIG = example_config()
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
PIN = "802615"


class DeskPhone(FakeAsterisk):
    """Types `typed` at the PIN question (GET DATA) and `keys` at the choice (Read)."""

    def __init__(self, typed: str, keys=()):
        super().__init__(keys=list(keys))
        self.typed = typed

    def environment(self, script: str) -> bytes:
        block = super().environment(script).decode().replace("agi_extension: 14023", "agi_extension: *28")
        return block.replace("\n\n", "\nagi_arg_1: 201\n\n").encode()

    def _reply(self, words):
        if " ".join(words[:2]).upper() == "GET DATA":
            return f"200 result={self.typed}\n" if self.typed else "200 result= (timeout)\n"
        return super()._reply(words)

    def said(self) -> list[str]:
        return [w[2] for w in self.commands if w[:2] == ["EXEC", "Playback"]]


@pytest.fixture
async def world(tmp_path):
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    records = SqliteStore(tmp_path / "calls.sqlite3")
    audit = AuditLog(records, lambda: NOW.timestamp())
    switch = CalamitySwitch(audit)
    prompts = PromptLibrary(tmp_path / "sounds")
    handler = FeatureHandler(CONFIG, prompts, lambda: NOW, forwarding, AbsenceBook(CONFIG, lambda: NOW, forwarding),
                             audit_log=audit, calamity=switch, pin=PIN)
    server = AgiServer({"features": handler}, port=0)
    await server.start()

    async def dial(typed: str, *keys: str) -> DeskPhone:
        phone = DeskPhone(typed, keys)
        await phone.call(server, "features")
        return phone

    def sounds(*texts: str) -> str:
        return "&".join(prompts.sound_name(text) for text in texts)

    yield dial, sounds, switch, audit, handler
    await server.close()
    forwarding.close()
    records.close()


async def test_the_right_pin_and_2_close_the_lines_until_midnight_with_the_default_message(world, caplog):
    dial, sounds, switch, audit, _ = world
    caplog.set_level(logging.DEBUG)
    phone = await dial(PIN, "2")
    asked = [w for w in phone.commands if w[:2] == ["GET", "DATA"]]
    assert asked == [["GET", "DATA", sounds(feature_text(CONFIG, "calamity_pin")), "10000", "12"]]
    closed = default_text(CONFIG, Mode.CLOSED)
    assert phone.said() == [sounds(feature_text(CONFIG, "calamity_closed_on"), closed)]
    on = switch.current(NOW)
    assert (on.mode, on.text, on.until, on.set_by) == (Mode.CLOSED, closed, dt.datetime(2026, 12, 3, tzinfo=NOW.tzinfo),
                                                       "phone 201")
    [entry] = [e for e in audit.entries(since=0) if e.action == "calamity_on"]
    assert (entry.source, entry.detail["why"]) == ("phone 201", "vanaf een toestel")
    assert PIN not in caplog.text and not any(PIN in str(v) for v in phone.variables.values())

    phone = await dial(PIN, "0")
    assert phone.said() == [sounds(feature_text(CONFIG, "calamity_off"))] and switch.current(NOW) is None


async def test_three_wrong_pins_are_audited_and_lock_the_code(world):
    dial, sounds, switch, audit, _ = world
    for typed in ("111111", "", "802616"):
        phone = await dial(typed, "2")
        assert phone.said() == [sounds(feature_text(CONFIG, "calamity_wrong_pin"))]
    phone = await dial(PIN, "2")
    assert phone.said() == [sounds(feature_text(CONFIG, "calamity_locked"))]
    assert not [w for w in phone.commands if w[:2] == ["GET", "DATA"]]  # not even asked
    assert switch.current(NOW) is None
    assert [e.action for e in audit.entries(since=0)] == ["calamity_pin_refused"] * 3


async def test_without_a_pin_the_phone_says_the_switch_is_not_set_up(world):
    dial, sounds, switch, _, handler = world
    handler.pin = None
    phone = await dial(PIN, "2")
    assert phone.said() == [sounds(feature_text(CONFIG, "calamity_not_set_up"))] and switch.current(NOW) is None


@pytest.mark.parametrize("pin, words", [("12345", "6 to 12 digits"), ("12345a", "6 to 12 digits"),
                                        ("000000", "guessable"), ("234567", "guessable"), ("876543", "guessable")])
def test_a_weak_or_malformed_pin_is_refused(pin, words):
    with pytest.raises(SecretError, match=words):
        Secrets({CALAMITY_SECRET: pin}).get(CALAMITY_SECRET)
    assert Secrets({CALAMITY_SECRET: PIN}).get(CALAMITY_SECRET) == PIN
