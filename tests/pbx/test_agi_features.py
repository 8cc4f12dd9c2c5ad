"""The feature-code handler over a real FastAGI socket with a fake Asterisk: the store, what is said, refusals."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fake_asterisk import FakeAsterisk

from bereik import audit
from bereik.audit import AuditLog
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.phrases import feature_text
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.features import FeatureHandler
from bereik.presence.absence import AbsenceStore
from bereik.presence.book import AbsenceBook
from bereik.presence.merge import Absence
from bereik.records.store import SqliteStore
from tests.examples import example_config

CONFIG = example_config()
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


class DeskPhone(FakeAsterisk):
    def __init__(self, endpoint: str, dialled: str, hang_up_at: str | None = None):
        super().__init__()
        self.endpoint, self.dialled, self.hang_up_at = endpoint, dialled, hang_up_at

    def environment(self, script: str) -> bytes:
        block = super().environment(script).decode().replace("agi_extension: 14023", f"agi_extension: {self.dialled}")
        return block.replace("\n\n", f"\nagi_arg_1: {self.endpoint}\n\n").encode()

    def _reply(self, words):
        if words[:2] == ["EXEC", self.hang_up_at]:
            return "HANGUP\n"
        return super()._reply(words)

    def said(self) -> list[str]:
        return [w[2] for w in self.commands if w[:2] == ["EXEC", "Playback"]]


@pytest.fixture
async def world(tmp_path):
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    absences = AbsenceStore(tmp_path / "absences.sqlite3", lambda: NOW)
    await absences.open()
    records = SqliteStore(tmp_path / "calls.sqlite3")
    book = AbsenceBook(CONFIG, lambda: NOW, forwarding, absences=absences)
    changed: list[str] = []
    prompts = PromptLibrary(tmp_path / "sounds")
    handler = FeatureHandler(CONFIG, prompts, lambda: NOW, forwarding, book, changed.append,
                             AuditLog(records, lambda: NOW.timestamp()))
    server = AgiServer({"features": handler}, port=0)
    await server.start()

    async def dial(endpoint: str, code: str, **kwargs) -> DeskPhone:
        phone = DeskPhone(endpoint, code, **kwargs)
        await phone.call(server, "features")
        return phone

    def sounds(*keys: str, **values) -> str:
        return "&".join(prompts.sound_name(feature_text(CONFIG, key, **values)) for key in keys)

    def use(config):
        handler.config = forwarding.config = book.config = config

    dial.use = use
    yield dial, sounds, forwarding, absences, changed, records
    await server.close()
    forwarding.close()
    absences.close()
    records.close()


async def test_forward_to_a_colleague_is_kept_said_audited_and_told(world):
    dial, sounds, forwarding, _, changed, records = world
    phone = await dial("301", "*21*302#")
    assert forwarding.in_force("301", NOW).target == "302"
    assert phone.said() == [sounds("forward_on", "calls_to_colleague", name="Femke de Boer")]
    assert any(f"{var.ROUTED}=1" in w[2] for w in phone.commands if w[:2] == ["EXEC", "MSet"])
    assert changed == ["301"]
    [entry] = AuditLog(records).entries(0)
    assert (entry.actor, entry.action, entry.target, entry.detail["to"]) == ("301", audit.FORWARD_SET, "301", "302")


async def test_forward_to_the_standing_substitute_and_clear(world):
    dial, sounds, forwarding, *_ = world
    await dial("302", "*21#")  # Femke's substitute in the YAML is Eva
    assert forwarding.in_force("302", NOW).target == "301"
    phone = await dial("302", "#21#")
    assert forwarding.in_force("302", NOW) is None
    assert phone.said() == [sounds("forward_off", "calls_here")]


@pytest.mark.parametrize(("endpoint", "code", "refusal", "values"), [
    ("311", "*21*0612340311#", "refused_number", {}),  # Hanna has no mobile in the YAML
    ("303", "*21*0612340301#", "refused_number", {}),  # Eva's mobile is not Gijs's
    ("301", "*21#", "refused_no_substitute", {}),
    ("312", "*21*311#", None, {}),  # a colleague is fine ...
    ("201", "*21*302#", "not_for_this_phone", {}),  # a front-office position forwards nothing
])
async def test_refusals_are_said_and_change_nothing(world, endpoint, code, refusal, values):
    dial, sounds, forwarding, *_ = world
    phone = await dial(endpoint, code)
    if refusal is None:
        assert forwarding.in_force(endpoint, NOW) is not None
        return
    assert forwarding.in_force(endpoint, NOW) is None
    assert phone.said() == [sounds(refusal, **values)]


async def test_the_department_may_forbid_forwarding_to_mobiles(world, tmp_path):
    dial, sounds, forwarding, *_ = world
    config = CONFIG.model_copy(update={"people": [p.model_copy(update={"mobile": "0612340311"})
                                                  if p.extension == "311" else p for p in CONFIG.people]})
    dial.use(config)  # Hanna has a mobile now, but wmo allows colleagues only
    phone = await dial("311", "*21*0612340311#")
    assert forwarding.in_force("311", NOW) is None
    assert phone.said() == [sounds("refused_policy")]


async def test_no_forward_to_a_colleague_who_is_away_no_hunt_group(world):
    dial, sounds, forwarding, absences, *_ = world
    await absences.add(Absence("302", NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=2)))
    phone = await dial("301", "*21*302#")
    assert forwarding.in_force("301", NOW) is None
    assert phone.said() == [sounds("refused_hop", name="Femke de Boer")]


async def test_clearing_the_own_forward_says_when_the_team_lead_still_has_one_away(world):
    dial, sounds, forwarding, absences, *_ = world
    monday = dt.datetime(2026, 12, 7, tzinfo=ZoneInfo("Europe/Amsterdam"))
    await absences.add(Absence("301", NOW - dt.timedelta(days=1), monday, "vakantie", "303"))
    phone = await dial("301", "#21#")
    assert phone.said() == [sounds("forward_off") + "&" + sounds("absent_registered_until", until="maandag 7 december")
                            + "&" + sounds("callers_to_colleague", name="Gijs Mulder")]


async def test_do_not_disturb_on_and_off(world):
    dial, sounds, forwarding, *_ = world
    phone = await dial("301", "*78")
    assert forwarding.dnd("301") and phone.said() == [sounds("dnd_on", "dnd_effect")]
    phone = await dial("301", "*79")
    assert not forwarding.dnd("301") and phone.said() == [sounds("dnd_off", "calls_here")]


async def test_a_hang_up_during_the_confirmation_keeps_the_change(world):
    dial, _, forwarding, *_ = world
    phone = await dial("301", "*78", hang_up_at="Playback")
    assert forwarding.dnd("301") and not any(w[:2] == ["EXEC", "MSet"] for w in phone.commands)
