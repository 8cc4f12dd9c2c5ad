"""The in-memory index against a plain reference: the same people for any query."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bereik.presence import sample
from bereik.presence.directory import Person, apply_changes, fold, words

INDEX = sample.index(300)
VOCABULARY = sorted({w for p in INDEX.people.values()
                     for w in words(" ".join([p.name, p.department, p.title, p.extension, *p.topics]))})


def reference(query: str, department: str, topic: str) -> set[str]:
    """Every query word starts a word of the person's texts; department and topic match whole."""
    found = set()
    for p in INDEX.people.values():
        own = words(" ".join([p.name, p.department, p.title, p.email.split("@")[0], p.extension, *p.topics]))
        if not all(any(w.startswith(q) for w in own) for q in words(query)):
            continue
        if department and words(p.department) != words(department):
            continue
        if topic and words(topic) not in [words(t) for t in p.topics]:
            continue
        found.add(p.id)
    return found


prefixes = st.sampled_from(VOCABULARY).flatmap(lambda w: st.integers(1, len(w)).map(lambda n: w[:n]))


@settings(max_examples=300, deadline=None)
@given(st.lists(prefixes, max_size=3), st.sampled_from(["", *sample.DEPARTMENTS, "burgerzaken", "Onbekend"]),
       st.sampled_from(["", "paspoort", "WMO", "wmo", "geen onderwerp"]), st.booleans())
def test_the_index_finds_exactly_what_a_linear_scan_finds(query_words, department, topic, upper):
    query = " ".join(query_words)
    query = query.upper() if upper else query
    found = {p.id for p in INDEX.search(query, department, topic, limit=10_000)}
    assert found == reference(query, department, topic)


def test_names_that_start_with_the_query_come_first():
    ranked = INDEX.search("jan", limit=10_000)
    starts = [fold(p.name).startswith("jan") for p in ranked]
    assert starts == sorted(starts, reverse=True) and starts[0]


def test_accents_and_case_do_not_matter():
    assert {p.id for p in INDEX.search("OZTURK")} == {p.id for p in INDEX.search("öztürk")}
    assert INDEX.search("öztürk")


def test_the_limit_is_respected():
    assert len(INDEX.search("", limit=7)) == 7


people = st.builds(lambda i, t: Person(f"u{i}", f"uid=u{i},o=x", f"Naam {i}", title=t),
                   st.integers(0, 9), st.sampled_from(["a", "b"]))


@given(st.dictionaries(st.sampled_from([f"u{i}" for i in range(10)]), people, max_size=10),
       st.lists(people, max_size=10), st.sets(st.integers(0, 9)))
def test_applying_changes(before, changed, kept):
    before = {p.id: p for p in before.values()}
    present = {f"uid=u{i},o=x" for i in kept}
    after, diff = apply_changes(before, changed, present)
    assert all(p.dn in present for p in after.values())
    latest = {p.id: p for p in changed}
    for pid, person in after.items():
        assert person == latest.get(pid, before.get(pid))
    assert diff.removed == {pid for pid in set(before) | set(latest) if f"uid={pid},o=x" not in present}
    assert diff.added == {pid for pid in latest if pid not in before} - diff.removed
