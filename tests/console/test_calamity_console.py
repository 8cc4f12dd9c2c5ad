"""The calamity switch on the coordinator's screen over HTTP, and the switch itself: its state is the audit
log's last calamity act, so it survives a restart, another server sharing the store follows it, and who
switched it with why is there."""
import datetime as dt
import re
from html import unescape

import pytest

from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.records.store import SqliteStore
from bereik.routing.calamity import Calamity, Mode

from console_helpers import log_in

STORM = "Vanwege een storing is het gemeentehuis vandaag telefonisch niet bereikbaar."


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def switch(console):
    made = CalamitySwitch(console.audit)
    console.manage.calamity, console.manage.config_of = made, lambda: console.config
    return made


async def test_a_coordinator_closes_the_lines_until_an_end_time_and_ends_it(client, console, switch, clock):
    csrf = await log_in(client, "coco")
    page = visible(await (await client.get("/manage")).text())
    assert "Calamiteit" in page and "*28 en de pincode" in page
    html = await (await client.get("/manage")).text()
    assert 'value="2026-11-24T00:00"' in html  # until midnight, unless the coordinator says otherwise
    assert "Vanwege een storing zijn wij telefonisch slecht bereikbaar" in html

    response = await client.post("/manage/calamity", data={
        "csrf": csrf, "action": "on", "mode": "closed", "text": STORM, "until": "2026-11-23T16:30",
        "why": "Stroomstoring gemeentehuis"}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/manage?calamity=on#calamity"
    on = switch.current(clock())
    assert on == Calamity(Mode.CLOSED, STORM, dt.datetime(2026, 11, 23, 16, 30, tzinfo=console.config.zone), "coco")
    page = visible(await (await client.get("/manage?calamity=on")).text())
    assert "De calamiteit staat aan. ✓" in page
    assert "Calamiteit staat aan: de lijnen zijn gesloten, tot 23-11-2026 16:30." in page
    assert f"Bellers horen: „{STORM}”" in page and "Aangezet door coco." in page

    response = await client.post("/manage/calamity", data={"csrf": csrf, "action": "off", "why": "Stroom is terug"},
                                 allow_redirects=False)
    assert response.status == 303 and switch.current(clock()) is None
    entries = [(e.actor, e.action, e.detail.get("why"), e.detail.get("mode"))
               for e in console.audit.entries(since=0) if e.action.startswith("calamity")]
    assert entries == [("coco", "calamity_off", "Stroom is terug", None),
                       ("coco", "calamity_on", "Stroomstoring gemeentehuis", "closed")]


@pytest.mark.parametrize("fields, words", [
    ({"mode": "message", "text": STORM, "until": "2026-11-23T09:00", "why": "x"}, "De eindtijd is al voorbij"),
    ({"mode": "message", "text": "", "until": "2026-11-23T12:00", "why": "x"}, "Schrijf de melding"),
    ({"mode": "message", "text": STORM, "until": "morgen", "why": "x"}, "Geef de eindtijd als datum en tijd."),
    ({"mode": "message", "text": STORM, "until": "2026-11-23T12:00", "why": " "}, "Waarom"),
])
async def test_a_switch_that_cannot_be_set_is_refused_and_nothing_changes(client, console, switch, clock, fields,
                                                                          words):
    csrf = await log_in(client, "coco")
    response = await client.post("/manage/calamity", data={"csrf": csrf, "action": "on", **fields})
    assert response.status == 400 and words in await response.text()
    assert switch.current(clock()) is None


async def test_an_agent_cannot_touch_the_switch(client, switch, clock):
    csrf = await log_in(client, "anna")
    response = await client.post("/manage/calamity", data={
        "csrf": csrf, "action": "on", "mode": "closed", "text": STORM, "until": "2026-11-23T16:30", "why": "x"})
    assert response.status == 403 and switch.current(clock()) is None


async def test_the_switch_survives_a_restart_and_another_server_follows_it(tmp_path):
    zone = dt.timezone.utc
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=zone)
    shared = tmp_path / "calls.sqlite3"
    here_store, there_store = SqliteStore(shared), SqliteStore(shared)
    ticks = [0.0]
    here = CalamitySwitch(AuditLog(here_store))
    there = CalamitySwitch(AuditLog(there_store), refresh_seconds=5, monotonic=lambda: ticks[0])
    try:
        assert there.current(now) is None
        storm = Calamity(Mode.MESSAGE, STORM, now + dt.timedelta(hours=3), "coco")
        await here.switch_on(storm, "http 10.0.0.5", "Storm")
        ticks[0] = 4.9
        assert there.current(now) is None  # read less than 5 s ago
        ticks[0] = 5.0
        assert there.current(now) == storm
        assert there.current(now + dt.timedelta(hours=3)) is None  # its end time passed
        assert CalamitySwitch(AuditLog(SqliteStore(shared))).current(now) == storm  # a restarted bereik
    finally:
        here_store.close()
        there_store.close()


async def test_a_call_asks_the_switch_without_a_thread_until_a_read_is_due(tmp_path):
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)
    store = SqliteStore(tmp_path / "calls.sqlite3")
    ticks = [0.0]
    switch = CalamitySwitch(AuditLog(store), refresh_seconds=5, monotonic=lambda: ticks[0])
    storm = Calamity(Mode.MESSAGE, STORM, now + dt.timedelta(hours=3), "coco")
    try:
        assert await switch.in_force(now) is None  # the first read
        await CalamitySwitch(AuditLog(store)).switch_on(storm, "http 10.0.0.5", "Storm")  # another server
        ticks[0] = 4.9
        asked = switch.in_force(now)
        with pytest.raises(StopIteration) as answered:
            asked.send(None)  # done at once: it waited for no thread
        assert answered.value.value is None
        ticks[0] = 5.0
        assert await switch.in_force(now) == storm
    finally:
        store.close()


async def test_three_wrong_pins_lock_the_phone_code_for_a_quarter_of_an_hour(console):
    ticks = [0.0]
    switch = CalamitySwitch(console.audit, monotonic=lambda: ticks[0])
    for _ in range(2):
        switch.wrong_pin()
    assert not switch.locked()
    switch.wrong_pin()
    assert switch.locked()
    ticks[0] = 15 * 60 - 1
    assert switch.locked()
    ticks[0] = 15 * 60
    assert not switch.locked()


@pytest.fixture
def recordings(console, tmp_path):
    from bereik.ivr.recorded import Recordings

    changed = []
    console.manage.recordings_of = lambda: Recordings(tmp_path / "sounds")
    console.manage.config_of, console.manage.audit = lambda: console.config, console.audit
    console.manage.recordings_changed = lambda: changed.append(1)
    return changed


def wav_upload():
    import io
    import wave

    import numpy as np

    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1), audio.setsampwidth(2), audio.setframerate(16000)
        audio.writeframes((0.1 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def multipart(name: str, audio: bytes):
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("name", name)
    form.add_field("file", audio, filename="opname.wav", content_type="audio/wav")
    return form


async def test_a_recording_uploaded_on_the_screen_is_kept_audited_and_said_so(client, console, recordings, tmp_path):
    csrf = await log_in(client, "coco")
    response = await client.post(f"/manage/recording?csrf={csrf}", data=multipart("welcome", wav_upload()),
                                 allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/manage?recorded=1#recordings"
    assert recordings == [1]  # new calls follow at once
    [entry] = [e for e in console.audit.entries(since=0) if e.action == "prompt_recorded"]
    assert (entry.actor, entry.target, entry.detail["seconds"]) == ("coco", "welcome", "1.0")
    stored = console.manage.recordings_of().get("welcome")
    from bereik.ivr.phrases import fill

    assert stored.text == fill(console.config, console.config.texts["welcome"]) and stored.by == "coco"
    page = visible(await (await client.get("/manage?recorded=1")).text())
    assert "De opname is opgeslagen; bellers horen haar vanaf nu. ✓" in page
    assert "Opname voor Welkomsttekst Ingesproken door coco op 2026-11-23 10:00 (1 s)" in page
    assert "Opname voor Inleiding van het menu Geen opname: de computerstem spreekt de tekst" in page


async def test_an_upload_without_the_token_or_for_a_per_call_text_is_refused(client, console, recordings):
    csrf = await log_in(client, "coco")
    response = await client.post("/manage/recording", data=multipart("welcome", wav_upload()))
    assert response.status == 403 and recordings == []
    response = await client.post(f"/manage/recording?csrf={csrf}", data=multipart("closed", wav_upload()))
    assert response.status == 400 and recordings == []  # {next_opening} changes per call: espeak-ng says it
    response = await client.post(f"/manage/recording?csrf={csrf}", data=multipart("welcome", b"RIFF...."))
    assert response.status == 400 and "geen geluid" in await response.text()
