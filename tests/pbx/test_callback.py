"""FastAGI `callback`: the phone rung first answered; bereik rings the note's number, showing the
department's outgoing number, and every call is an attempt of the note."""
import datetime as dt
import logging

from bereik.callbacks.store import HANDLED, QUEUE, Attempt, CallbackStore, Note
from bereik.pbx.callback import AGENT_POLL_SECONDS, AGENT_WAITS, CallbackHandler
from bereik.records.store import CONNECT_TIMEOUT_SECONDS
from tests.examples import example_config

CONFIG = example_config()
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)


class Session:
    """The part of AgiSession the handler uses, recording what it set and executed."""

    def __init__(self, note_id, uniqueid="1700000000.7", variables=None):
        self.environment = {"agi_arg_1": str(note_id)}
        self.uniqueid, self.channel = uniqueid, "Local/5@bereik-callback-hold-00000003;1"
        self.variables = dict(variables or {})
        self.executed = []

    async def get_variable(self, name):
        return self.variables.get(name)

    async def set_variable(self, name, value):
        self.variables[name] = value

    async def execute(self, application, *arguments, timeout=10):
        self.executed.append((application, arguments))

    async def last_word(self, *commands, timeout=10):
        for verb, application, arguments in commands:
            assert verb == "EXEC"
            self.executed.append((application, tuple(arguments.split(","))))


def note(key, **changes):
    values = dict(key=key, number="0612345678", name="", question="Terugbelverzoek uit de wachtrij.", team="tic",
                  created_at=MONDAY, due_at=MONDAY + dt.timedelta(days=2), created_by="queue", kind=QUEUE)
    return Note(**{**values, **changes})


def handler(tmp_path, agent=""):
    store = CallbackStore(tmp_path / "calls.sqlite3", CONFIG.zone)
    return CallbackHandler(CONFIG, store, lambda: MONDAY, lambda note_id: agent), store


async def test_a_waiting_callers_call_back_rings_its_number_with_the_14_number_as_an_attempt_of_the_agent(tmp_path):
    callback, store = handler(tmp_path, agent="PJSIP/202")
    stored, _ = store.add(note("q1"))
    session = Session(stored.id)
    await callback(session)

    assert session.variables["CALLERID(num)"] == "14023" and session.variables["CALLERID(name)"] == "Gemeente Bloemendaal"
    [(application, arguments)] = session.executed
    assert application == "MSet" and arguments[-1] == "BEREIK_ROUTED=1"  # the decision whole, routed last
    assert "BEREIK_DIAL_NUMBER=0612345678" in arguments and "BEREIK_RING_SECONDS=30" in arguments
    [attempt] = store.attempts(stored.id)
    assert (attempt.id, attempt.actor, attempt.target) == ("q-1700000000.7", "queue", "PJSIP/202")
    assert f"BEREIK_ATTEMPT={attempt.id}" in arguments


async def test_a_departments_note_shows_the_departments_number_and_keeps_the_attempt_bereik_started(tmp_path):
    callback, store = handler(tmp_path)
    stored, _ = store.add(note("n1", kind="note", team="vergunningen", department="vergunningen", owner="301"))
    store.start_attempt(Attempt("n-42", stored.id, "evasmit", "301", MONDAY))
    session = Session(stored.id, variables={"BEREIK_ATTEMPT": "n-42"})
    await callback(session)

    assert (session.variables["CALLERID(num)"], session.variables["CALLERID(name)"]) == ("0235115300", "Vergunningen")
    assert "BEREIK_ATTEMPT=n-42" in session.executed[0][1]
    assert [a.id for a in store.attempts(stored.id)] == ["n-42"]


async def test_the_watchdog_outlasts_a_store_that_connects_at_its_timeout_while_the_note_is_read_and_its_attempt_written(
        tmp_path):
    """ci43: Asterisk hung the call-back up 5 s after the agent answered the stand-in (the dialplan's watchdog) while
    the store was slow: read and written before the caller rings, each may connect first, up to its timeout."""
    callback, store = handler(tmp_path, agent="PJSIP/202")
    stored, _ = store.add(note("q1"))
    session = Session(stored.id)
    armed_when = {}
    for method in ("get", "start_attempt"):
        def waiting(*arguments, method=method, done=getattr(store, method)):
            armed_when[method] = int(session.variables.get("TIMEOUT(absolute)", 0))
            return done(*arguments)
        setattr(store, method, waiting)
    await callback(session)

    slowest = 2 * CONNECT_TIMEOUT_SECONDS + AGENT_WAITS * AGENT_POLL_SECONDS  # and the agent's name looked for
    assert armed_when.keys() == {"get", "start_attempt"}
    assert all(seconds > slowest for seconds in armed_when.values()), armed_when
    assert session.executed[-1][1][-1] == "BEREIK_ROUTED=1"  # and the caller is rung


async def test_a_closed_note_an_unknown_one_or_a_number_that_cannot_be_called_rings_nobody(tmp_path):
    callback, store = handler(tmp_path)
    closed, _ = store.add(note("c1"))
    store.close_note(closed.id, HANDLED, "anna", MONDAY, "nummer onjuist")
    internal, _ = store.add(note("i1", number="301"))
    # Outside the class of service (outbound: in the YAML): a premium and a foreign number are never rung.
    premium, _ = store.add(note("p1", number="0900123456"))
    foreign, _ = store.add(note("f1", number="+442012345678"))
    for argument in (closed.id, internal.id, premium.id, foreign.id, 999, "1;Dial(PJSIP/0900@trunk)"):
        session = Session(argument)
        await callback(session)
        assert session.executed == [] and "CALLERID(num)" not in session.variables
    assert all(store.attempts(n.id) == [] for n in (closed, internal, premium, foreign))


async def test_the_number_never_reaches_the_log_in_full(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    callback, store = handler(tmp_path)
    stored, _ = store.add(note("q1"))
    await callback(Session(stored.id))
    assert "0612345678" not in caplog.text and "06******78" in caplog.text
