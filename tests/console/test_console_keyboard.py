"""Looking a colleague up is not transferring, and everything a warm transfer needs works from the keyboard:
the shortcuts are listed on the page, and each is a key with Alt (never a lone letter while typing a note)."""
import asyncio

import pytest
from aiohttp.test_utils import TestServer

from bereik.config.model import Presence
from bereik.forwarding.store import ForwardingStore
from bereik.presence.configured import ConfiguredPresence
from bereik.secrets import Secrets
from test_browser import logged_in_page
from test_desk import answer, ring


@pytest.fixture
async def served(console, tmp_path, browser):
    """The console with the directory `bereik run` builds from the YAML's people (no LDAP)."""
    config = console.config.model_copy(update={"presence": Presence(absences_store=str(tmp_path / "absences.sqlite3"))})
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", config)
    presence = ConfiguredPresence(config, console.ami, console.clock, Secrets({}), forwarding)
    await presence.start()
    console.presence = presence.app
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    for context in browser.contexts:  # their presence sockets would hold the server's shutdown
        await context.close()
    await server.close()
    await presence.stop()
    forwarding.close()


async def polled(page, read, enough=bool):
    """What `read()` gives once it is `enough`, or after 3 s."""
    for _ in range(150):
        if enough(value := read()):
            return value
        await page.wait_for_timeout(20)
    return read()


async def sent(page, ami, action, count=1):
    return await polled(page, lambda: ami.sent(action), lambda actions: len(actions) >= count)


async def transferred(page, ami):
    return await polled(page, ami.transfers)


async def test_looking_a_colleague_up_chooses_and_only_the_transfer_button_calls(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    ring(console.ami)
    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    await page.fill("#search", "Eva")
    await page.click("button.person[data-extension='301']")  # a look-up: chosen, not called
    await page.wait_for_selector("#chosen:has-text('Gekozen: Eva Smit (301)')")
    await page.wait_for_timeout(200)
    assert console.ami.transfers() == []
    assert await page.get_attribute("button.person[data-extension='301']", "aria-pressed") == "true"
    await page.click("#transfer")
    assert await transferred(page, console.ami) == [
        {"Channel": "PJSIP/201-00000002", "Exten": "301", "Context": "bereik-internal"}]


async def test_transfer_is_disabled_without_a_call_even_with_a_colleague_chosen(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    await page.fill("#search", "Eva")
    await page.click("button.person[data-extension='301']")
    await page.wait_for_selector("#chosen:has-text('Eva Smit')")
    assert await page.is_disabled("#transfer")


async def test_a_keyboard_only_warm_transfer_start_complete_and_the_visible_list(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    shortcuts = await page.inner_text("#shortcuts")
    for line in ("Alt+D", "Doorverbinden naar de gekozen collega", "Alt+V", "Doorverbinden voltooien",
                 "Alt+T", "Terug naar de beller", "Alt+H", "Ophangen", "Alt+Z"):
        assert line in shortcuts, shortcuts
    assert await page.get_attribute("#complete", "aria-keyshortcuts") == "Alt+V"
    ring(console.ami)
    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    await page.keyboard.press("Alt+Z")  # to the search
    assert await page.evaluate("() => document.activeElement.id") == "search"
    await page.keyboard.type("Eva")
    await page.wait_for_selector("#results[data-query='Eva'] button.person[data-extension='301']")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")  # chooses Eva
    await page.wait_for_selector("#transfer:not([disabled])")
    await page.keyboard.press("Alt+D")  # transfers
    assert (await transferred(page, console.ami))[0]["Exten"] == "301"
    console.ami.emit(Event="DialBegin", Channel="Local/301@bereik-internal-0001;2",
                     DestChannel="PJSIP/301-00000005", Timestamp="1800000050.0")
    console.ami.emit(Event="DialEnd", DestChannel="PJSIP/301-00000005", DialStatus="ANSWER",
                     Timestamp="1800000056.0")
    await page.wait_for_selector("#complete:not([disabled])")
    assert "In overleg met collega (Eva Smit)" in await page.inner_text("#transfer-state")
    await page.keyboard.press("Alt+V")  # completes: the complete key on the agent's channel
    # after the transfer code
    assert [a["Digit"] for a in await sent(page, console.ami, "PlayDTMF", count=4)] == ["*", "2", "*", "5"]


async def test_a_late_reply_to_doorverbinden_does_not_undo_the_colleague_answering(browser, served, console):
    """The colleague may answer before the reply to the press reaches the browser: the stream's newer
    state stands, so Doorverbinden voltooien is enabled and says whom the agent is talking to."""
    page, _ = await logged_in_page(browser, served)
    ring(console.ami)
    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    answered = asyncio.Event()

    async def held_back(route):
        reply = await route.fetch()
        await answered.wait()
        await page.wait_for_selector("#transfer-state:has-text('In overleg met collega')")
        await route.fulfill(response=reply)

    await page.route("**/api/transfer", held_back)
    await page.fill("#search", "Eva")
    await page.click("button.person[data-extension='301']")
    await page.keyboard.press("Alt+D")
    await transferred(page, console.ami)
    console.ami.emit(Event="DialEnd", DestChannel="PJSIP/301-00000005", DialStatus="ANSWER",
                     Timestamp="1800000056.0")
    async with page.expect_request_finished(lambda r: r.url.endswith("/api/transfer")):
        answered.set()
    await page.wait_for_timeout(100)  # the page's handler of the reply has run
    assert "In overleg met collega (Eva Smit)" in await page.inner_text("#transfer-state")
    assert await page.is_enabled("#complete")


async def test_cancel_by_keyboard_takes_the_caller_back(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    ring(console.ami)
    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    await page.fill("#search", "Eva")
    await page.click("button.person[data-extension='301']")
    await page.keyboard.press("Alt+D")
    await page.wait_for_selector("#cancel:not([disabled])")
    await page.keyboard.press("Alt+T")
    assert await sent(page, console.ami, "CancelAtxfer") == [{"Channel": "PJSIP/201-00000002"}]
    await page.wait_for_selector("#transfer-state:has-text('Terug bij de beller')")


async def test_an_earlier_searchs_late_answer_leaves_the_newer_list_and_the_agents_place_in_it(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    release = asyncio.Event()

    async def answer_to_ev_late(route):
        if route.request.url.endswith("q=Ev"):
            reply = await route.fetch()
            await release.wait()
            await route.fulfill(response=reply)
        else:
            await route.continue_()

    await page.route("**/api/directory*", answer_to_ev_late)
    async with page.expect_request(lambda r: r.url.endswith("q=Ev")):
        await page.fill("#search", "Ev")  # an agent who types slowly: a search a key
    await page.fill("#search", "Eva")
    await page.wait_for_selector("#results[data-query='Eva'] button.person[data-extension='301']")
    await page.keyboard.press("ArrowDown")  # from the search box to Eva
    assert await page.evaluate("() => document.activeElement.dataset.extension") == "301"
    async with page.expect_request_finished(lambda r: r.url.endswith("q=Ev")):
        release.set()
    await page.wait_for_timeout(100)  # the page's handler of the late answer has run

    assert await page.get_attribute("#results", "data-query") == "Eva"
    assert await page.evaluate("() => document.activeElement.dataset.extension") == "301"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#chosen:has-text('Gekozen: Eva Smit (301)')")
