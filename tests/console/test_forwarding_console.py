"""Absence forwarding in the console: everyone sees it, team leads change it, each change audited."""
from aiohttp.test_utils import TestClient, TestServer

from bereik.forwarding.store import ForwardingStore
from console_helpers import log_in


async def _client(console, tmp_path):
    console.forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", console.config)
    return TestClient(TestServer(console.app()))


async def test_a_team_lead_forwards_a_colleague_and_the_audit_log_names_the_team_lead(console, tmp_path):
    async with await _client(console, tmp_path) as client:
        csrf = await log_in(client, "lisa")
        response = await client.put("/api/forwarding/301", json={"to": "mobile", "set_by": "ignored"},
                                    headers={"X-CSRF-Token": csrf})
        assert response.status == 200, await response.text()
        listed = await (await client.get("/api/forwarding")).json()
        assert [(f["person"], f["to"], f["set_by"], f["in_force"]) for f in listed] == [("301", "mobile", "lisa", True)]
        entries = (await (await client.get("/api/audit")).json())["entries"]
        assert ("lisa", "forwarding_set", "301") in [(e["actor"], e["action"], e["target"]) for e in entries]


async def test_an_agent_sees_the_forwards_but_may_not_change_them(console, tmp_path):
    async with await _client(console, tmp_path) as client:
        csrf = await log_in(client, "anna")
        assert (await client.get("/api/forwarding")).status == 200
        forbidden = await client.put("/api/forwarding/301", json={"to": "mobile", "set_by": "anna"},
                                     headers={"X-CSRF-Token": csrf})
        assert forbidden.status == 403
        assert (await client.delete("/api/forwarding/301", headers={"X-CSRF-Token": csrf})).status == 403


async def test_a_forward_without_the_csrf_token_is_refused(console, tmp_path):
    async with await _client(console, tmp_path) as client:
        await log_in(client, "lisa")
        assert (await client.put("/api/forwarding/301", json={"to": "mobile", "set_by": "x"})).status == 403
        assert await (await client.get("/api/forwarding")).json() == []
