"""A municipality's system that receives bereik's webhooks, run on a host of its own by the tests:
python receiver.py ADDRESS PORT LOG. Every request is appended to LOG as one JSON line (headers and
body); it answers with the status in LOG.status when that file exists (e.g. 500), else 204."""
import json
import sys
from pathlib import Path

from aiohttp import web

address, port, log = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])


async def receive(request: web.Request) -> web.Response:
    body = await request.text()
    with log.open("a") as out:
        out.write(json.dumps({"path": request.path, "headers": dict(request.headers), "body": body}) + "\n")
    status = Path(f"{log}.status")
    return web.Response(status=int(status.read_text()) if status.exists() else 204)


app = web.Application()
app.router.add_post("/{tail:.*}", receive)
web.run_app(app, host=address, port=port, print=lambda *a: print("listening", flush=True))
