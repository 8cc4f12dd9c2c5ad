"""Several servers, one store: `bereik report --server NAME` counts that server's calls only, combined by default."""
import json
from pathlib import Path

from bereik.cli import main
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from tests.ami_facts import told

from ..config.test_servers_config import with_servers
from ..records.calls import front_office_call
from ..records.test_store import FRONT, MONDAY_10, ZONE


def report_of(tmp_path: Path, *options: str) -> tuple[int, dict | None]:
    out = tmp_path / "out" / "-".join(options or ("all",))
    code = main(["report", str(tmp_path / "gemeente.yaml"), "--month", "2026-11", "--store",
                 str(tmp_path / "calls.sqlite3"), "--out", str(out), *options])
    written = sorted(out.glob("*.json")) if out.exists() else []
    return code, json.loads(written[0].read_text()) if written else None


def test_one_server_s_report_and_the_combined_one(tmp_path, capsys):
    (tmp_path / "gemeente.yaml").write_text(with_servers())
    store = SqliteStore(tmp_path / "calls.sqlite3")
    # The same Asterisk ids on both servers: noord answers three calls, zuid's two callers give up.
    for server, calls, agent in (("noord", 3, "Anna"), ("zuid", 2, None)):
        recorder = Recorder(store, ZONE, FRONT, clock=lambda: MONDAY_10 + 3600, server=server)
        recorder.start()
        for n in range(calls):
            for event in front_office_call(f"1795424400.{n}", MONDAY_10 + 600 * n, wait=15, agent=agent):
                told(recorder, event)
        recorder.close()
    store.close()

    assert report_of(tmp_path)[1]["calls"] == 5
    code, noord = report_of(tmp_path, "--server", "noord")
    assert (code, noord["calls"], noord["server"]) == (0, 3, "noord")
    assert sorted(p.name for p in (tmp_path / "out" / "--server-noord").iterdir())[0] == \
        "bereik-2026-11-noord-parameters.csv"
    html = (tmp_path / "out" / "--server-noord" / "bereik-2026-11-noord.html").read_text()
    assert "Alleen de gesprekken van server noord." in html
    zuid = report_of(tmp_path, "--server", "zuid")[1]
    answered = {f["id"]: f["value"] for f in zuid["figures"]}
    assert zuid["calls"] == 2 and answered["answered_within_norm"] == 0

    assert report_of(tmp_path, "--server", "west") == (2, None)
    assert "no server 'west' in pbx.servers (known: noord, zuid)" in capsys.readouterr().err
