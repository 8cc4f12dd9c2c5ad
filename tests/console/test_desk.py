"""The console against recorded AMI events: screen-pop, warm transfer, position, recording, call-back notes."""
import asyncio
import datetime as dt
import sys
from pathlib import Path

import pytest

from bereik.console.auth import LdapAuthenticator
from bereik.pbx.dialplan import ATXFER_CODE, ATXFER_COMPLETE_CODE
from console_helpers import log_in

sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))


def ring(ami, extension="201", linkedid="1700000000.1", number="0612345678", name="J. Jansen", **variables):
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel="PJSIP/trunk-00000001", Uniqueid=linkedid,
             Linkedid=linkedid, Timestamp="1800000000.0")
    ami.emit(Event="AgentCalled", Queue="tic", Interface=f"PJSIP/{extension}", Channel="PJSIP/trunk-00000001",
             DestChannel=f"PJSIP/{extension}-00000002", CallerIDNum=number, CallerIDName=name,
             Uniqueid=linkedid, Linkedid=linkedid, Timestamp="1800000042.5",
             **{f"ChanVariable({k})": v for k, v in variables.items()})


def answer(ami, extension="201", linkedid="1700000000.1"):
    ami.emit(Event="AgentConnect", Queue="tic", Interface=f"PJSIP/{extension}", Channel="PJSIP/trunk-00000001",
             DestChannel=f"PJSIP/{extension}-00000002", Uniqueid=linkedid, Linkedid=linkedid,
             Timestamp="1800000045.0")


async def news(socket_, kind: str) -> dict:
    """The next message of this kind on the console's stream (the waiting list is news to every console too)."""
    while True:
        message = await asyncio.wait_for(socket_.receive_json(), 2)
        if message["type"] == kind:
            return message


async def test_the_screen_pop_reaches_only_the_ringing_agents_browser(client, console):
    token = await log_in(client, "anna")
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_MUNICIPALITY="Bloemendaal",
         BEREIK_TRIED="301", BEREIK_FAILED="noanswer")
    pop = await news(socket_, "ringing")
    assert pop["type"] == "ringing" and pop["topic"] == "afval" and pop["choice"] == "2"
    # The words the agent reads: whom the caller tried, and the option as the caller heard it.
    assert pop["tried_person"] == {"name": "Eva Smit", "department": "Vergunningen"}
    assert pop["choice_text"] == "Afval, grofvuil of een kapotte container"
    assert pop["municipality"] == "Bloemendaal" and pop["waited_seconds"] == 42
    assert pop["number"] == "0612345678" and pop["tried"] == "301" and pop["failed"] == "noanswer"
    assert token
    await socket_.close()


async def test_the_screen_pop_lists_open_call_backs_and_earlier_calls_of_the_number(client, console):
    token = await log_in(client, "anna")
    await client.post("/api/callbacks", json={"number": "0612345678", "question": "Paspoort kwijt",
                                              "key": "note-0001", "team": "tic"}, headers={"X-CSRF-Token": token})
    console.desk.history = lambda number, since: [(1799990000.0, "burgerzaken")] if number == "0612345678" else []
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami)
    pop = await news(socket_, "ringing")
    assert [c["question"] for c in pop["callbacks"]] == ["Paspoort kwijt"]
    history = await news(socket_, "history")
    assert history == {"type": "history", "number": "0612345678",
                       "earlier": [{"at": 1799990000.0, "topic": "burgerzaken"}]}


async def test_warm_transfer_from_the_console_begins_with_the_number_set_and_completes_with_the_complete_key(
        client, console):
    token = await log_in(client, "anna")
    headers = {"X-CSRF-Token": token}
    steps = []
    console.desk.steps = lambda *step: steps.append(step)
    ring(console.ami)
    answer(console.ami)
    early = await client.post("/api/transfer/complete", headers=headers)
    assert early.status == 409
    started = await client.post("/api/transfer", json={"target": "301"}, headers=headers)
    assert (await started.json())["state"] == "ringing"
    await asyncio.sleep(0)
    assert console.ami.transfers() == [{"Channel": "PJSIP/201-00000002", "Exten": "301",
                                           "Context": "bereik-internal"}]
    console.ami.emit(Event="DialBegin", Channel="Local/301@bereik-internal-0001;2",
                     DestChannel="PJSIP/301-00000005", Timestamp="1800000050.0")
    console.ami.emit(Event="DialEnd", DestChannel="PJSIP/301-00000005", DialStatus="ANSWER",
                     Timestamp="1800000056.0")
    refused = await client.post("/api/transfer/complete", headers=headers)
    assert (await refused.json())["state"] == "completed"
    await asyncio.sleep(0)
    assert console.ami.sent("PlayDTMF") == [{"Channel": "PJSIP/201-00000002", "Digit": digit, "Receive": "yes"}
                                            for digit in ATXFER_CODE + ATXFER_COMPLETE_CODE]
    # Over: the agent's own transfer key asks for a number again
    assert console.ami.sent("Setvar")[-1] == {"Channel": "PJSIP/201-00000002", "Variable": "TRANSFER_EXTEN",
                                              "Value": ""}
    assert not console.ami.sent("Hangup")  # hanging up the agent races Asterisk's naming of the target
    assert [s[1] for s in steps] == ["transfer_started", "transfer_answered", "transfer_ended"]
    assert steps[1][3]["transfer_seconds"] is not None


async def test_a_console_opened_again_during_the_consultation_can_complete_the_transfer(client, console):
    """A reloaded page, or a stream reconnected after a drop, learns the transfer under way, not only the call."""
    token = await log_in(client, "anna")
    ring(console.ami)
    answer(console.ami)
    await client.post("/api/transfer", json={"target": "301"}, headers={"X-CSRF-Token": token})
    console.ami.emit(Event="DialEnd", DestChannel="PJSIP/301-00000005", DialStatus="ANSWER", Timestamp="1800000056.0")
    socket_ = await client.ws_connect("/api/stream")
    assert [(await news(socket_, kind))["type"] for kind in ("ringing", "connected")] == ["ringing", "connected"]
    transfer = await news(socket_, "transfer")
    assert (transfer["state"], transfer["target"]) == ("talking", "301")
    await socket_.close()


async def test_cancel_returns_to_the_caller_and_an_unanswered_colleague_is_cancelled_by_the_timer(client, console):
    token = await log_in(client, "anna")
    headers = {"X-CSRF-Token": token}
    ring(console.ami)
    answer(console.ami)
    await client.post("/api/transfer", json={"target": "301"}, headers=headers)
    cancelled = await client.post("/api/transfer/cancel", headers=headers)
    assert (await cancelled.json())["state"] == "cancelled"
    await asyncio.sleep(0)
    assert console.ami.sent("CancelAtxfer") == [{"Channel": "PJSIP/201-00000002"}]
    loop = asyncio.get_running_loop()
    console.desk.positions["201"].transfer.transfer  # noqa: B018 - a transfer existed
    await client.post("/api/transfer", json={"target": "302"}, headers=headers)
    position = console.desk.positions["201"]
    assert position.no_answer_timer.when() - loop.time() == pytest.approx(5, abs=0.5)
    position.no_answer_timer._run()  # the ring time is over
    assert position.transfer.name == "failed" and position.transfer.transfer.outcome.value == "no_answer"
    await asyncio.sleep(0)
    assert len(console.ami.sent("CancelAtxfer")) == 2


async def test_a_transfer_target_must_be_an_extension(client, console):
    token = await log_in(client, "anna")
    ring(console.ami)
    answer(console.ami)
    response = await client.post("/api/transfer", json={"target": "301\r\nAction: Originate"},
                                 headers={"X-CSRF-Token": token})
    assert response.status == 409 and not console.ami.transfers()


@pytest.mark.parametrize(("target", "why"), [
    ("0031612345678", "international"), ("0044201234567", "international"), ("+442012345678", "international"),
    ("0900123456", "premium-rate"), ("09001234", "premium-rate"), ("0906123456", "premium-rate"),
    ("999", "not a colleague in the directory"),
])
async def test_the_console_transfers_only_to_the_directory_or_numbers_the_class_of_service_allows(
        client, console, target, why):
    token = await log_in(client, "anna")
    ring(console.ami)
    answer(console.ami)
    response = await client.post("/api/transfer", json={"target": target}, headers={"X-CSRF-Token": token})
    assert response.status == 409 and not console.ami.transfers()
    assert why in (await response.json())["refused"]  # the agent reads why


async def test_a_transfer_to_a_mobile_goes_out_in_national_form(client, console):
    token = await log_in(client, "anna")
    ring(console.ami)
    answer(console.ami)
    response = await client.post("/api/transfer", json={"target": "+31 6 1234 5678"}, headers={"X-CSRF-Token": token})
    assert (await response.json())["state"] == "ringing"
    await asyncio.sleep(0)
    assert console.ami.transfers() == [{"Channel": "PJSIP/201-00000002", "Exten": "0612345678",
                                           "Context": "bereik-internal"}]


async def test_pause_with_a_reason_and_sign_out_are_queue_pauses_of_the_static_member(client, console):
    """Through QUEUE_MEMBER with Setvar (AMI `call`): bereik's AMI user has no `agent` class, which would
    also allow QueueAdd of any dial string. The reason is kept in a global the console reads back."""
    token = await log_in(client, "anna")
    headers = {"X-CSRF-Token": token}
    await client.post("/api/position/pause", json={"reason": "overleg"}, headers=headers)
    await client.post("/api/position/logout", headers=headers)
    await client.post("/api/position/login", headers=headers)
    assert [(v["Variable"], v["Value"]) for v in console.ami.sent("Setvar")] == [
        ("BEREIK_PAUSED_201", "overleg"), ("QUEUE_MEMBER(tic,paused,PJSIP/201)", "1"),
        ("BEREIK_PAUSED_201", "afgemeld"), ("QUEUE_MEMBER(tic,paused,PJSIP/201)", "1"),
        ("BEREIK_PAUSED_201", ""), ("QUEUE_MEMBER(tic,paused,PJSIP/201)", "0"),
    ]
    assert not console.ami.sent("QueuePause")


async def test_the_record_button_sets_the_file_and_presses_the_automixmon_code(client, console):
    token = await log_in(client, "anna")
    ring(console.ami)
    answer(console.ami)
    response = await client.post("/api/recording", headers={"X-CSRF-Token": token})
    assert (await response.json())["recording"] is True
    assert {v["Variable"]: v["Value"] for v in console.ami.sent("Setvar")} == {
        "TOUCH_MIXMONITOR_PREFIX": "bereik", "TOUCH_MIXMONITOR": "anna+20261123T100000-1700000000.1",
        "TOUCH_MIXMONITOR_MESSAGE_START": "beep"}
    assert {v["Channel"] for v in console.ami.sent("Setvar")} == {"PJSIP/201-00000002"}
    assert [d["Digit"] for d in console.ami.sent("PlayDTMF")] == ["*", "9"]
    assert all(d["Receive"] == "yes" for d in console.ami.sent("PlayDTMF"))
    stopped = await client.post("/api/recording", headers={"X-CSRF-Token": token})
    assert (await stopped.json())["recording"] is False and len(console.ami.sent("Setvar")) == 3


async def test_a_call_back_note_is_mailed_once_and_the_team_lead_sees_it_late_after_the_deadline(
        client, console, clock, smtp_server):
    inbox, port = smtp_server
    console.mailer.port = port
    token = await log_in(client, "anna")
    note = {"number": "0612345678", "name": "J. Jansen", "question": "Grofvuil niet opgehaald",
            "key": "note-0002", "team": "tic"}
    first = await client.post("/api/callbacks", json=note, headers={"X-CSRF-Token": token})
    again = await client.post("/api/callbacks", json=note, headers={"X-CSRF-Token": token})
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["mailed"] and (await first.json())["due"].startswith("2026-11-25T10:00")
    assert [recipients for recipients, _ in inbox.messages] == [["kcc@bloemendaal.test"]]
    await client.post("/logout", headers={"X-CSRF-Token": token})
    await log_in(client, "lisa")
    clock.now += dt.timedelta(days=2, minutes=1)
    listed = (await (await client.get("/api/callbacks")).json())["callbacks"]
    assert [(c["status"], c["created_by"]) for c in listed] == [("late", "anna")]
    page = await (await client.get("/team")).text()
    assert "te laat" in page and "Grofvuil" in page
    # Dates as people write them and the team by its name, not ISO dates and ids.
    assert "wo 25 nov 2026 10:00" in page and "2026-11-25" not in page
    assert "Terugbellen in het team (Klantcontactcentrum)" in page


async def test_login_by_binding_as_the_person_in_a_real_directory(tmp_path):
    from presence_slapd import Slapd

    from bereik.presence import sample

    people = sample.people(5)
    server = Slapd(tmp_path / "slapd", people)
    server.start()
    try:
        server.modify(f"dn: {people[0].dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: geheim-1\n")
        directory = LdapAuthenticator(server.url, "uid={login}," + sample.BASE_DN)
        assert await directory.check(people[0].uid, "geheim-1")
        assert not await directory.check(people[0].uid, "fout")
        assert not await directory.check(people[0].uid, "")
        assert not await directory.check("*)(uid=*", "geheim-1")
    finally:
        server.stop()


async def test_the_team_lead_marks_a_call_back_done_from_the_team_page_and_is_named_as_handler(client, console):
    token = await log_in(client, "anna")
    created = await client.post("/api/callbacks", json={"number": "0612345678", "question": "WOZ",
                                                        "key": "note-0003", "team": "tic"},
                                headers={"X-CSRF-Token": token})
    note_id = (await created.json())["id"]
    assert (await client.post(f"/team/done/{note_id}", data={"csrf": token})).status == 403  # agents may not
    await client.post("/logout", headers={"X-CSRF-Token": token})
    lead_token = await log_in(client, "lisa")
    assert (await client.post(f"/team/done/{note_id}", data={})).status == 403  # no token
    # Closed without a call-back only with one of the YAML's reasons.
    assert (await client.post(f"/team/done/{note_id}", data={"csrf": lead_token, "reason": "zomaar"})).status == 409
    done = await client.post(f"/team/done/{note_id}", data={"csrf": lead_token, "reason": "beantwoord per e-mail"},
                             allow_redirects=False)
    assert done.status == 303
    listed = (await (await client.get("/api/callbacks?view=team")).json())["callbacks"]
    assert [(c["status"], c["done_by"], c["reason"]) for c in listed] == [("handled", "lisa", "beantwoord per e-mail")]


async def test_after_an_ami_reconnect_the_call_at_the_position_is_read_back_and_a_lost_one_ended(client, console):
    token = await log_in(client, "anna")
    console.ami.replies["Status"] = [
        {"Response": "Success"},
        {"Event": "Status", "Channel": "PJSIP/201-0000000a", "BridgeID": "b1", "Linkedid": "1700000001.1"},
        {"Event": "Status", "Channel": "PJSIP/trunk-00000009", "BridgeID": "b1", "Linkedid": "1700000001.1",
         "CallerIDNum": "0612345678"},
    ]
    for callback in console.ami.login_callbacks:
        await callback()
    call = console.desk.positions["201"].call
    assert (call.agent_channel, call.caller_channel, call.answered) == ("PJSIP/201-0000000a", "PJSIP/trunk-00000009", True)
    started = await client.post("/api/transfer", json={"target": "301"}, headers={"X-CSRF-Token": token})
    assert started.status == 200  # the console can transfer the call it learnt about
    console.ami.replies["Status"] = [{"Response": "Success"}]
    for callback in console.ami.login_callbacks:
        await callback()
    position = console.desk.positions["201"]
    assert position.call is None and position.transfer.transfer.outcome.value == "completed_unattended"


async def test_login_over_ldaps_checks_the_directory_certificate(tmp_path):
    from presence_slapd import Slapd

    from bereik.presence import sample

    people = sample.people(3)
    server = Slapd(tmp_path / "slapd", people, tls=True)
    server.start()
    try:
        server.modify(f"dn: {people[0].dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: geheim-2\n")
        user_dn = "uid={login}," + sample.BASE_DN
        trusted = LdapAuthenticator(server.ldaps_url, user_dn, ca_file=server.certificate)
        assert await trusted.check(people[0].uid, "geheim-2")
        assert await LdapAuthenticator(server.url, user_dn, start_tls=True, ca_file=server.certificate).check(
            people[0].uid, "geheim-2")
        # a self-signed certificate nobody vouched for: the password is never sent
        assert not await LdapAuthenticator(server.ldaps_url, user_dn).check(people[0].uid, "geheim-2")
    finally:
        server.stop()


async def test_a_directory_group_raises_the_role_from_the_yaml(client, console):
    console.authenticator.groups = {"bram": frozenset({"team_lead"})}
    await log_in(client, "bram")
    me = await (await client.get("/api/me")).json()
    assert me["role"] == "team_lead" and me["extension"] == "202"  # the position stays the YAML's
    assert (await client.get("/team")).status == 200


async def test_role_groups_are_read_from_the_directory_as_the_person(tmp_path):
    from presence_slapd import ROOT_DN, Slapd

    from bereik.presence import sample

    people = sample.people(3)
    server = Slapd(tmp_path / "slapd", people)
    server.start()
    try:
        for person in people[:2]:
            server.modify(f"dn: {person.dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: pw-{person.uid}\n")
        group = "cn=teamleiders," + sample.BASE_DN
        server.modify(f"dn: {group}\nchangetype: add\nobjectClass: groupOfNames\ncn: teamleiders\n"
                      f"member: {people[1].dn}\nmember: {ROOT_DN}\n")
        directory = LdapAuthenticator(server.url, "uid={login}," + sample.BASE_DN, role_groups={"team_lead": group})
        assert (await directory.check(people[1].uid, f"pw-{people[1].uid}")).roles == {"team_lead"}
        assert (await directory.check(people[0].uid, f"pw-{people[0].uid}")).roles == frozenset()
    finally:
        server.stop()


async def test_a_wrap_up_is_a_step_of_the_call_with_the_call_back_note_the_agent_made(client, console):
    token = await log_in(client, "anna")
    headers = {"X-CSRF-Token": token}
    steps = []
    console.desk.steps = lambda *step: steps.append(step)
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2")
    answer(console.ami)
    await client.post("/api/callbacks", json={"number": "0612345678", "question": "Container kapot",
                                              "key": "note-wrap-1", "team": "tic"}, headers=headers)
    console.ami.emit(Event="Hangup", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1", Linkedid="1700000000.1")
    ended = None
    while ended is None:
        message = await asyncio.wait_for(socket_.receive_json(), 2)
        ended = message if message["type"] == "ended" else None
    assert ended["call"]["call"] == "1700000000.1" and ended["call"]["number"] == "0612345678"
    refused = await client.post("/api/wrapup", json={"call": "1700000000.1", "topic": "Kattenbrokjes",
                                                     "resolved": True}, headers=headers)
    assert refused.status == 400  # only the YAML's topics
    other = await client.post("/api/wrapup", json={"call": "someone-elses", "topic": "Afval", "resolved": True},
                              headers=headers)
    assert other.status == 404
    done = await client.post("/api/wrapup", json={"call": "1700000000.1", "topic": "Afval", "resolved": False},
                             headers=headers)
    assert done.status == 200
    (call_id, what, _, detail), = [s for s in steps if s[1] == "wrapped_up"]
    assert call_id == "1700000000.1"
    assert {k: detail[k] for k in ("topic", "resolved", "callback_note", "agent", "login")} == {
        "topic": "Afval", "resolved": "no", "callback_note": "yes", "agent": "Anna de Vries", "login": "anna"}
    history = await (await client.get("/api/history")).json()
    assert [(c["call"], c["wrap_up"]["topic"]) for c in history["calls"]] == [("1700000000.1", "Afval")]
    assert (history["wrapped_up"], history["resolved"]) == (1, 0)
    await socket_.close()


async def test_a_caller_back_from_an_outside_organisation_shows_whom_it_tried_and_why(client, console):
    """Sociale Zaken Heemstede (menu option 5) was busy: the front office sees so, and the option chosen."""
    await log_in(client, "anna")
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami, BEREIK_CHOICE="5", BEREIK_ORGANISATION="Sociale Zaken Heemstede", BEREIK_FAILED="busy",
         BEREIK_REASON="outside_organisation", BEREIK_MUNICIPALITY="Bloemendaal")
    pop = await news(socket_, "ringing")
    assert pop["tried_person"] == {"name": "Sociale Zaken Heemstede", "department": ""} and pop["failed"] == "busy"
    assert pop["choice_text"] == ("Sociale Zaken Heemstede: werk, inkomen of een uitkering bij Sociale Zaken in "
                                  "Heemstede")
    await socket_.close()


async def test_a_caller_back_from_the_other_municipality_on_the_shared_number_shows_it_and_why(client, console):
    """Key 2 of the shared 14023 (Heemstede) did not answer: the front office sees whom the caller tried."""
    await log_in(client, "anna")
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami, BEREIK_FAILED="noanswer", BEREIK_REASON="other_municipality", BEREIK_MUNICIPALITY="Heemstede")
    pop = await news(socket_, "ringing")
    assert pop["tried_person"] == {"name": "Heemstede", "department": ""} and pop["failed"] == "noanswer"
    await socket_.close()


async def test_the_history_names_the_organisation_an_earlier_call_was_put_through_to(client, console):
    await log_in(client, "anna")
    console.desk.history = lambda number, since: [(1799990000.0, "", "Sociale Zaken Heemstede")]
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami)
    await news(socket_, "ringing")
    history = await news(socket_, "history")
    assert history["earlier"] == [{"at": 1799990000.0, "topic": "", "organisation": "Sociale Zaken Heemstede"}]
    await socket_.close()


async def test_the_waiting_list_is_made_only_while_a_console_listens(client, console, monkeypatch):
    made = []
    list_of = console.desk.waiting_callers
    monkeypatch.setattr(console.desk, "waiting_callers", lambda: made.append(1) or list_of())
    ring(console.ami)
    console.ami.emit(Event="QueueCallerLeave", Queue="tic", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1")
    assert made == []
    await log_in(client, "anna")
    socket_ = await client.ws_connect("/api/stream")
    ring(console.ami, linkedid="1700000000.2")
    assert [c["id"] for c in (await news(socket_, "waiting"))["callers"]] == ["1700000000.2"]
    await socket_.close()
