"""Answering the ringing phone and hanging up from the browser, in Chromium with the fake AMI.

Opnemen (Alt+O) takes the caller out of the queue to the agent's own phone with the auto-answer headers
(AMI Redirect to bereik-pick): the queue's ring ending is not the call ending, the Dial's answer is the
connection. Ophangen hangs up the agent's own leg only: another agent's session, whatever it sends,
hangs up nothing."""
import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from test_browser import WCAG_AA
from test_desk import answer, ring
from test_waiting_list import WAITING, logged_in

CALLER = "PJSIP/trunk-00000001"


@pytest.fixture
async def served(console):
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def post_from(page, url: str, body: str = "{}") -> tuple[int, dict]:
    token = await page.get_attribute("meta[name=csrf]", "content")
    return tuple(await page.evaluate("""async ([url, token, body]) => {
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRF-Token': token, 'Content-Type': 'application/json'},
                                    body: body});
        return [r.status, await r.json()]; }""", [url, token, body]))


async def test_opnemen_with_the_keyboard_puts_the_caller_through_to_the_agents_phone(browser, served, console):
    steps = []
    console.desk.steps = lambda *step: steps.append(step)
    page = await logged_in(browser, served, "anna")
    assert await page.is_disabled("#answer")  # nothing rings
    assert "Alt+O" in await page.inner_text("#shortcuts") and "Opnemen" in await page.inner_text("#shortcuts")
    ring(console.ami)
    await page.wait_for_selector("#call-state.call-ringing")
    assert await page.get_attribute("#answer", "aria-keyshortcuts") == "Alt+O"
    await page.keyboard.press("Alt+O")
    await page.wait_for_selector("#call-action:has-text('Uw toestel neemt op.')")
    assert [(a["Channel"], a["Variable"], a["Value"]) for a in console.ami.sent("Setvar")] == [
        (CALLER, "BEREIK_PICK_QUEUE", "tic")]
    assert console.ami.sent("Redirect") == [{"Channel": CALLER, "Context": "bereik-pick", "Exten": "201",
                                             "Priority": "1"}]
    # The queue stops ringing the phone: neither its cancelled ring nor a late ring-no-answer ends the call.
    console.ami.emit(Event="DialEnd", Channel=CALLER, DestChannel="PJSIP/201-00000002", DialStatus="CANCEL")
    console.ami.emit(Event="AgentRingNoAnswer", Queue="tic", Interface="PJSIP/201", Channel=CALLER,
                     DestChannel="PJSIP/201-00000002", Timestamp="1800000044.0")
    console.ami.emit(Event="Hangup", Channel="PJSIP/201-00000002")
    console.ami.emit(Event="DialBegin", Channel=CALLER, DestChannel="PJSIP/201-00000003")
    await page.wait_for_timeout(100)
    assert "Gaat over" in await page.inner_text("#call-state")
    console.ami.emit(Event="DialEnd", Channel=CALLER, DestChannel="PJSIP/201-00000003", DialStatus="ANSWER",
                     Timestamp="1800000045.0")
    await page.wait_for_selector("#call-state.call-connected")
    assert await page.inner_text("#call-action") == ""
    assert await page.is_disabled("#answer") and not await page.is_disabled("#hangup")
    [(call, _, _, detail)] = [s for s in steps if s[1] == "agent_answered"]
    assert (call, detail["interface"], detail["answered_from"]) == ("1700000000.1", "PJSIP/201", "console")
    await page.keyboard.press("Alt+H")  # and hangs up the new leg, the one that talks
    for _ in range(100):
        if console.ami.sent("Hangup"):
            break
        await page.wait_for_timeout(20)
    assert console.ami.sent("Hangup") == [{"Channel": "PJSIP/201-00000003"}]


async def test_opnemen_when_nothing_rings_any_more_is_refused_in_dutch(browser, served, console):
    page = await logged_in(browser, served, "anna")
    ring(console.ami)
    await page.wait_for_selector("#call-state.call-ringing")
    answer(console.ami)  # the agent lifted the handset a moment before the click reached bereik
    status, reply = await post_from(page, "/api/call/answer")
    assert (status, reply["refused"]) == (409, "no call ringing")
    assert console.ami.sent("Redirect") == []


async def test_picked_up_by_hand_while_opnemen_was_under_way_the_caller_is_never_taken_away(browser, served, console):
    page = await logged_in(browser, served, "anna")
    ring(console.ami)
    await page.wait_for_selector("#call-state.call-ringing")
    plain = console.ami.action

    async def lifted_meanwhile(name, timeout=None, **headers):
        if name == "Setvar":
            answer(console.ami)  # the handset, a moment after the click
        return await plain(name, timeout, **headers)

    console.ami.action = lifted_meanwhile
    status, reply = await post_from(page, "/api/call/answer")
    assert (status, reply["refused"]) == (409, "no call ringing")
    assert console.ami.sent("Redirect") == []  # the caller stays with Anna
    await page.wait_for_selector("#call-state.call-connected")
    await page.click("#hangup")  # and her hang-up still reaches her own leg
    for _ in range(100):
        if console.ami.sent("Hangup"):
            break
        await page.wait_for_timeout(20)
    assert console.ami.sent("Hangup") == [{"Channel": "PJSIP/201-00000002"}]


async def test_an_agent_can_never_hang_up_another_agents_call(browser, served, console):
    ring(console.ami, extension="201")
    answer(console.ami, extension="201")  # Anna talks to the caller
    bram = await logged_in(browser, served, "bram")
    assert await bram.is_disabled("#hangup")
    # Whatever Bram's browser sends, his session's position is his own, and it has no call.
    status, reply = await post_from(bram, "/api/call/hangup", '{"channel": "PJSIP/201-00000002", "extension": "201"}')
    assert (status, reply["refused"]) == (409, "no call to hang up")
    assert console.ami.sent("Hangup") == []
    # Nor can a leg the desk holds that is not the position's own phone be hung up (a transferred call's
    # bookkeeping gone wrong must not hang up someone else).
    console.desk.positions["202"].call = console.desk.positions["201"].call
    status, _ = await post_from(bram, "/api/call/hangup")
    assert status == 409 and console.ami.sent("Hangup") == []
    anna = await logged_in(browser, served, "anna")  # a console opened during the call shows it
    await anna.wait_for_selector("#call-state.call-connected")
    assert "In gesprek sinds" in await anna.inner_text("#call-state")
    await anna.click("#hangup")
    for _ in range(100):
        if console.ami.sent("Hangup"):
            break
        await anna.wait_for_timeout(20)
    assert console.ami.sent("Hangup") == [{"Channel": "PJSIP/201-00000002"}]


async def test_wcag_21_aa_by_axe_while_the_phone_rings_callers_wait_and_the_pbx_is_away(browser, served, console):
    """What this part adds, all shown at once: Opnemen enabled and its notice, the waiting list with Aannemen,
    and the notice that the connection to the exchange is lost."""
    page = await logged_in(browser, served, "lisa")  # a team lead: the list has its buttons
    console.ami.emit(**WAITING, Timestamp=str(console.desk.now() - 65))
    await page.wait_for_selector("#waiting button:has-text('Aannemen')")
    ring(console.ami, extension="203")
    await page.wait_for_selector("#call-state.call-ringing")
    await page.click("#answer")
    await page.wait_for_selector("#call-action:has-text('Uw toestel neemt op.')")
    for lost in console.ami.disconnect_callbacks:
        lost()
    await page.locator("#pbx-state").wait_for(state="visible")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


async def test_a_pause_made_elsewhere_shows_at_once(browser, served, console):
    """Paused from the phone or by the team lead, not in this console: Asterisk's QueueMemberPause makes the
    page read the position's state again."""
    console.ami.replies["QueueStatus"] = [{"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201",
                                           "Paused": "0"}]
    page = await logged_in(browser, served, "anna")
    await page.wait_for_selector("#state:has-text('Aangemeld')")
    console.ami.replies["QueueStatus"] = [{"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201",
                                           "Paused": "1", "PausedReason": "training"}]
    console.ami.emit(Event="QueueMemberPause", Queue="tic", Interface="PJSIP/201", StateInterface="PJSIP/201",
                     Paused="1", PausedReason="training")
    await page.wait_for_selector("#state:has-text('Gepauzeerd (training)')")
    assert await page.is_enabled("#resume") and await page.is_disabled("#pause")
