"""`bereik run` with integrations in the YAML: the call records feed the webhooks and the contact
registration through one outbox, and the administrator's /webhooks page lists both receivers."""
import asyncio
import io
import sys
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from ruamel.yaml import YAML

from bereik.config import parse_config
from bereik.secrets import Secrets
from bereik.service import Service
from tests.ami_facts import told
from tests.records.calls import front_office_call

from .klantinteracties_server import KlantinteractiesApi

sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))
from test_configured import SECRETS, yaml_with  # noqa: E402

TOKEN = "a-long-klantinteracties-api-token"


async def test_bereik_run_sends_the_call_events_and_registers_the_contact(tmp_path):
    received = []

    async def receive(request):
        received.append(await request.json())
        return web.Response(status=204)

    hooks = web.Application()
    hooks.router.add_post("/events", receive)
    receiver = TestServer(hooks, host="127.0.0.1")
    await receiver.start_server()
    api = KlantinteractiesApi(TOKEN)
    registration = TestServer(api.app(), host="127.0.0.1")
    await registration.start_server()

    document = YAML(typ="safe").load(yaml_with(tmp_path))
    document["integrations"] = {
        "outbox": str(tmp_path / "outbox.sqlite3"),
        "webhooks": [{"name": "kcs", "url": f"http://127.0.0.1:{receiver.port}/events",
                      "secret": "BEREIK_KCS_WEBHOOK_SECRET"}],
        "klantinteracties": {"url": f"http://127.0.0.1:{registration.port}/klantinteracties/api/v1",
                             "token": "BEREIK_KLANTINTERACTIES_SECRET"}}
    text = io.StringIO()
    YAML().dump(document, text)
    service = Service(parse_config(text.getvalue()), Secrets({**SECRETS, "BEREIK_KCS_WEBHOOK_SECRET": "w" * 32,
                                                                "BEREIK_KLANTINTERACTIES_SECRET": TOKEN}),
                      Path("/nonexistent-sounds"))
    await service.start()
    try:
        assert [type(c).__name__ for c in service.console.couriers] == ["Webhooks", "Registration"]
        for event in front_office_call("c1", time.time() - 100, wait=20, agent=None, caller="0612345678"):
            told(service.recorder, event)
        for _ in range(200):
            if len(received) == 5 and api.created["digitaleadressen"]:
                break
            await asyncio.sleep(0.05)
        assert [e["type"] for e in received] == ["call.entered", "call.answered", "call.queued", "call.abandoned",
                                                 "call.hung_up"]
        [contact] = api.created["klantcontacten"]
        assert contact["indicatieContactGelukt"] is False and "De beller hing op na 20 s wachten." in contact["inhoud"]
        assert api.refused == []
    finally:
        await service.stop()
        await receiver.close()
        await registration.close()
