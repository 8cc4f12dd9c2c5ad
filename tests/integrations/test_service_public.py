"""`bereik run` with public.listen in the YAML serves the website's live figure on its own listener, without
the console's login."""
import io
import socket
import sys
from pathlib import Path

import aiohttp
from ruamel.yaml import YAML

from bereik.config import parse_config
from bereik.secrets import Secrets
from bereik.service import Service

sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))
from test_configured import SECRETS, yaml_with  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_bereik_run_serves_the_public_figure_without_login(tmp_path):
    port = free_port()
    document = YAML(typ="safe").load(yaml_with(tmp_path))
    document["public"] = {"listen": f"127.0.0.1:{port}"}
    text = io.StringIO()
    YAML().dump(document, text)
    service = Service(parse_config(text.getvalue()), Secrets(SECRETS), Path("/nonexistent-sounds"))
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/status.json") as response:
                figure = await response.json()
        assert response.status == 200 and figure["municipality"] == document["municipality"]
        assert figure["text"].startswith("Het klantcontact is nu " + ("open" if figure["open"] else "gesloten"))
    finally:
        await service.stop()
