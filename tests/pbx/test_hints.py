"""Busy lamps: what each person's hint shows, written over AMI only when it changes, and after every login."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.pbx import dialplan
from bereik.pbx.hints import HintPublisher, HintState, hint_state
from bereik.presence.absence_fact import AbsenceFact, AbsenceSource, AbsenceState
from bereik.routing.stand_in import StandIn, Taker, Why
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

CONFIG = example_config()
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
MONDAY = dt.datetime(2026, 12, 7, tzinfo=ZoneInfo("Europe/Amsterdam"))


def absent(source: AbsenceSource, until=MONDAY) -> AbsenceFact:
    return AbsenceFact(AbsenceState.ABSENT, source, None, until)


@pytest.mark.parametrize(("taker", "state"), [
    (StandIn("301", Taker.DESK, "301"), HintState("NOT_INUSE", "available,,")),
    (StandIn("301", Taker.MOBILE, "301"), HintState("BUSY", "away,doorgeschakeld,naar mobiel")),
    (StandIn("301", Taker.FRONT_OFFICE, why=Why.DND), HintState("BUSY", "dnd,niet storen,")),
    (StandIn("301", Taker.SUBSTITUTE, "302", "Femke de Boer", None, fact=absent(AbsenceSource.FORWARDING, None)),
     HintState("BUSY", "away,doorgeschakeld,naar Femke de Boer")),
    (StandIn("301", Taker.SUBSTITUTE, "302", "Femke de Boer", MONDAY, fact=absent(AbsenceSource.TEAM_LEAD)),
     HintState("BUSY", "xa,afwezig,tot maandag; vervanger Femke de Boer")),
    (StandIn("301", Taker.FRONT_OFFICE, until=MONDAY, why=Why.POLICY, fact=absent(AbsenceSource.OUTLOOK)),
     HintState("BUSY", "xa,afwezig,tot maandag")),
    # A comma in a name would start a new field of PRESENCE_STATE.
    (StandIn("301", Taker.SUBSTITUTE, "302", "Boer, Femke de", fact=absent(AbsenceSource.FORWARDING, None)),
     HintState("BUSY", "away,doorgeschakeld,naar Boer  Femke de")),
])
def test_what_the_lamp_shows(taker, state):
    assert hint_state(CONFIG, taker, NOW) == state


class Ami:
    def __init__(self):
        self.connected = True
        self.sent: list[tuple[str, str]] = []
        self.logins = []

    def on_login(self, callback):
        self.logins.append(callback)

    async def action(self, name, **headers):
        assert name == "Setvar"
        self.sent.append((headers["Variable"], headers["Value"]))
        return [{"Response": "Success"}]


async def test_written_only_when_changed_and_everything_again_after_a_login():
    ami, takers = Ami(), {p.extension: StandIn(p.extension, Taker.DESK, p.extension) for p in CONFIG.people}
    publisher = HintPublisher(CONFIG, ami, lambda ext: takers[ext], lambda: NOW)
    await publisher.publish()
    assert ("DEVICE_STATE(Custom:bereik-away-301)", "NOT_INUSE") in ami.sent
    assert ("PRESENCE_STATE(CustomPresence:301)", "available,,") in ami.sent
    assert len(ami.sent) == 2 * len(CONFIG.people)

    ami.sent.clear()
    takers["301"] = StandIn("301", Taker.FRONT_OFFICE, why=Why.DND)
    await publisher.publish()
    assert ami.sent == [("DEVICE_STATE(Custom:bereik-away-301)", "BUSY"),
                        ("PRESENCE_STATE(CustomPresence:301)", "dnd,niet storen,")]

    ami.sent.clear()
    await ami.logins[0]()  # Asterisk may have restarted and forgotten
    assert len(ami.sent) == 2 * len(CONFIG.people)


def test_the_dialplan_has_a_hint_per_person_and_position_and_the_codes():
    extensions = dialplan.generate(CONFIG, Secrets({AMI_SECRET: "x" * 32, PHONES_SECRET: "p" * 32}))["extensions.conf"]
    assert "exten => 301,hint,PJSIP/301&Custom:bereik-mobile-301&Custom:bereik-away-301,CustomPresence:301" \
        in extensions
    assert "exten => 201,hint,PJSIP/201" in extensions
    for code in ("_*21*X.", "*21#", "#21#", "*#21#", "*78", "*79", "*28"):
        assert f"exten => {code},1,Goto(bereik-features,${{EXTEN}},1)" in extensions


def test_the_mobile_is_dialled_by_the_dialplan_and_calls_out_only_when_the_yaml_trusts_the_trunk():
    secrets = Secrets({AMI_SECRET: "x" * 32, PHONES_SECRET: "p" * 32})
    plain = dialplan.generate(CONFIG, secrets)["extensions.conf"]
    assert "exten => 301,1,Set(GROUP(bereik-mobile)=301)" in plain
    # Through the class of service, like everything that leaves the building.
    assert "Dial(Local/0612340301@bereik-outbound/n,,U(bereik-mobile-answered^301))" in plain
    assert "/0612340301,1," not in plain and "[bereik-from-mobile]" not in plain  # off by default
    trusting = CONFIG.model_copy(update={"back_office": CONFIG.back_office.model_copy(update={"mobile_dial_out": True})})
    generated = dialplan.generate(trusting, secrets)["extensions.conf"]
    for calling in ("0612340301", "+31612340301"):
        assert (f"exten => _0X./{calling},1,Gosub(bereik-from-mobile,s,1(301,0235115300,"
                "${FILTER(0-9+,${EXTEN})}))") in generated
    assert "[bereik-from-mobile]" in generated
    assert "Dial(Local/${ARG3}@bereik-outbound/n,120)" in generated
    # The trunk's own context holds them: a caller from outside reaches nothing else.
    inbound = generated.split("[bereik-inbound]", 1)[1].split("\n[", 1)[0]
    assert "exten => _0X./0612340301,1," in inbound
