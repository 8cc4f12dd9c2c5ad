"""An agent's answer bereik missed, told by the agent's completion (bereik.records.journey.missed_answer)."""
from bereik import facts as f
from bereik.records.journey import FROM_AGENT_COMPLETED, JourneyBook

T = 1795424400.0
CALL = {"call": "c1", "leg": "c1"}


def book_of(*facts: f.Fact) -> JourneyBook:
    book = JourneyBook()
    for fact in (f.CallEntered(**CALL, at=T, caller_number="0612345678", dialled="14023"), *facts):
        book.apply(fact)
    return book


def completed(at: float, queue: str = "tic") -> f.AgentCompleted:
    return f.AgentCompleted(**CALL, at=at, queue=queue, member="PJSIP/201", agent="Anna", talk_seconds=40,
                            waited_seconds=6, reason="caller")


def kinds(book: JourneyBook) -> list[str]:
    return [s.what for s in book.journeys["c1"].steps]


def test_an_answer_told_live_is_never_told_twice():
    book = book_of(f.QueueJoined(**CALL, at=T + 5, queue="tic"),
                   f.AgentConnected(**CALL, at=T + 11, queue="tic", member="PJSIP/201", agent="Anna"),
                   completed(T + 51))
    assert kinds(book) == ["entered", "queued", "agent_answered", "agent_completed"]
    assert "from" not in book.journeys["c1"].first("agent_answered").detail


def test_a_missed_answer_comes_from_the_completion_with_the_wait_it_tells():
    book = book_of(f.QueueJoined(**CALL, at=T + 5, queue="tic"), completed(T + 51.3))
    assert kinds(book) == ["entered", "queued", "agent_answered", "agent_completed"]
    answered = book.journeys["c1"].first("agent_answered")
    assert (answered.at, answered.detail) == (T + 11.3, {"agent": "Anna", "interface": "PJSIP/201",
                                                         "hold_seconds": "6", "from": FROM_AGENT_COMPLETED})


def test_after_a_transfer_back_to_the_queue_the_second_answer_missed_is_told():
    book = book_of(f.QueueJoined(**CALL, at=T + 5, queue="tic"),
                   f.AgentConnected(**CALL, at=T + 11, queue="tic", member="PJSIP/202", agent="Bert"),
                   f.AgentCompleted(**CALL, at=T + 30, queue="tic", talk_seconds=19, reason="transfer"),
                   f.QueueJoined(**CALL, at=T + 31, queue="tic"), completed(T + 80))
    assert kinds(book) == ["entered", "queued", "agent_answered", "agent_completed", "queued", "agent_answered",
                           "agent_completed"]
    assert book.journeys["c1"].steps[5].at == T + 40


def test_a_colleagues_camp_on_or_another_queues_completion_tells_no_agents_answer():
    camped = book_of(f.CampedOn(**CALL, at=T + 5, colleague="301"), completed(T + 51, queue="camp-301"))
    assert kinds(camped) == ["entered", "camped", "agent_completed"]
    elsewhere = book_of(f.QueueJoined(**CALL, at=T + 5, queue="tic"), completed(T + 51, queue="vergunningen"))
    assert kinds(elsewhere) == ["entered", "queued", "agent_completed"]
    untimed = book_of(f.QueueJoined(**CALL, at=T + 5, queue="tic"),
                      f.AgentCompleted(**CALL, at=T + 51, queue="tic", reason="caller"))
    assert kinds(untimed) == ["entered", "queued", "agent_completed"]
