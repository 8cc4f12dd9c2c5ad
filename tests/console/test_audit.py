"""The audit log in the console: logins and recordings played are written; team leads and administrators
read it, agents may not."""
from console_helpers import log_in


def _recording(console, login: str) -> str:
    console.recordings_dir.mkdir(parents=True, exist_ok=True)
    name = f"bereik-1795473198-{login}+20261123T100000-1700000000.1.wav"
    (console.recordings_dir / name).write_bytes(b"RIFF....WAVE")
    return f"/api/recordings/{login}/{name}"


async def test_an_agent_may_not_read_the_audit_log(client):
    await log_in(client, "anna")
    assert (await client.get("/api/audit")).status == 403


async def test_the_team_lead_reads_who_logged_in_and_who_played_which_recording(client, console):
    recording = _recording(console, "anna")
    await log_in(client, "lisa")
    assert (await client.get(recording)).status == 200
    assert (await client.get(recording.replace("20261123", "20261124"))).status == 404  # nothing played: no entry

    entries = (await (await client.get("/api/audit")).json())["entries"]

    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("lisa", "recording_played", "anna"), ("lisa", "console_login", "")]
    played, login = entries
    assert played["detail"] == {"recording": recording.rsplit("/", 1)[1]} and played["source"] == "http 127.0.0.1"
    assert login["detail"] == {"role": "team_lead"}


async def test_the_audit_log_is_read_over_a_number_of_days(client):
    await log_in(client, "root")
    assert (await client.get("/api/audit?days=soon")).status == 400
    assert len((await (await client.get("/api/audit?days=1")).json())["entries"]) == 1
