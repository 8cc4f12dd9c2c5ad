"""The report over HTTP answers with the same schema as the CLI."""
import aiohttp

from bereik.records.store import SqliteStore
from bereik.reports.http import report_routes
from bereik.reports.schema import Report
from bereik.wallboard.web import WebServer

from .test_month import CONFIG, OCTOBER, month_of_calls


async def test_a_month_as_json_and_html_and_a_clear_error_for_a_bad_period(tmp_path):
    from bereik.records.recorder import Recorder

    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, CONFIG.zone, frozenset({CONFIG.number}))
    recorder.start()
    for journey in month_of_calls()[:200]:
        recorder.record(journey)
    recorder.close()
    server = WebServer(report_routes(store, CONFIG), "127.0.0.1", 0)
    await server.start()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as client:
            async with client.get("/reports", params={"month": "2026-10"}) as response:
                report = Report.model_validate_json(await response.text())
            assert (report.start, report.end) == (OCTOBER.start, OCTOBER.end) and report.calls > 0
            async with client.get("/reports", params={"start": "2026-10-01", "format": "html"}) as response:
                assert response.content_type == "text/html" and "<svg" in await response.text()
            async with client.get("/reports", params={"start": "2026-10-05", "end": "2026-10-01"}) as response:
                assert response.status == 400 and "before it starts" in await response.text()
    finally:
        await server.close()
        store.close()
