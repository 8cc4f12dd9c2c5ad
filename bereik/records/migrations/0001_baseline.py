"""The call-record store as release 0.1.0 made it, before versioned migrations.

IF NOT EXISTS: a store written by 0.1.0 already has these tables and is adopted as it is.
"""
from yoyo import step

steps = [
    step("CREATE TABLE IF NOT EXISTS calls ("
         " call_id TEXT PRIMARY KEY, started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION,"
         " day TEXT NOT NULL, hour INTEGER NOT NULL, weekday INTEGER NOT NULL, kind TEXT NOT NULL,"
         " dialled TEXT NOT NULL, caller TEXT NOT NULL, queue TEXT NOT NULL, topic TEXT NOT NULL,"
         " reason TEXT NOT NULL, queued_at DOUBLE PRECISION, wait_seconds DOUBLE PRECISION, agent TEXT NOT NULL,"
         " abandoned INTEGER NOT NULL, talk_seconds DOUBLE PRECISION, forwarded_to TEXT NOT NULL,"
         " fallback INTEGER NOT NULL, direct_answered INTEGER NOT NULL, transfer_seconds DOUBLE PRECISION,"
         " transfer_wait_seconds DOUBLE PRECISION, transfer_answered INTEGER, callback_requested INTEGER NOT NULL,"
         " callback_on_time INTEGER, extra TEXT NOT NULL DEFAULT '{}')"),
    step("CREATE INDEX IF NOT EXISTS calls_started_at ON calls (started_at)"),
    step("CREATE TABLE IF NOT EXISTS steps ("
         " call_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, what TEXT NOT NULL, detail TEXT NOT NULL,"
         " PRIMARY KEY (call_id, what, at))"),
    # Several servers: which bereik writes each server's calls, until when (bereik.records.standby).
    step("CREATE TABLE IF NOT EXISTS server_writers ("
         " server TEXT PRIMARY KEY, instance TEXT NOT NULL, until DOUBLE PRECISION NOT NULL)"),
    # Administrative acts (bereik.audit): who did what, when, from where; never a personal number.
    step("CREATE TABLE IF NOT EXISTS audit ("
         " at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
         " source TEXT NOT NULL, detail TEXT NOT NULL)"),
    step("CREATE INDEX IF NOT EXISTS audit_at ON audit (at)"),
]
