"""The steps an ordinary call runs through bereik's entry and the front-office queue (issue 18): each dialplan step
and each variable set is a task of Asterisk's one AMI thread, the first part to saturate on bereik's path."""
import re

import pytest

from bereik.pbx import dialplan
from bereik.pbx import variables as var
from bereik.pbx.dialplan import generate
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})
EXTENSIONS = generate(CONFIG, SECRETS)["extensions.conf"]


def extension(context: str, exten: str) -> list[str]:
    """The lines of `exten` in `context`, from its priority 1 to the next extension."""
    text = EXTENSIONS.split(f"[{context}]\n", 1)[1].split("\n[", 1)[0]
    start = text.index(f"exten => {exten},1,")
    return [line for line in text[start:].split("\nexten => ", 1)[0].splitlines() if not line.startswith(";")]


def ordinary_path(lines: list[str], jumps: dict[str, str]) -> list[str]:
    """The applications a call runs from priority 1 until it leaves for the queue or joins it; a line containing
    a key of `jumps` jumps to that label, every other line goes on to the next."""
    path, i = [], 0
    while True:
        line = lines[i]
        path.append(re.sub(r"^(exten => [^,]+,1|\s*same => n(\(\w+\))?),", "", line).split("(", 1)[0])
        # bereik sends a caller it routes to a queue there itself (Voice.hand_over's go_to)
        if line.endswith("?bereik-queue,${BEREIK_QUEUE},1)") or ",Queue(" in line or ",AGI(agi://" in line:
            return path
        label = next((label for text, label in jumps.items() if text in line), None)
        i = next(n for n, other in enumerate(lines) if f"n({label})," in other) if label else i + 1


def test_an_ordinary_call_runs_five_steps_in_the_entry_and_three_in_the_queue():
    """A caller whose caller ID needs no filtering, routed by bereik to the front office (12 and 12 steps before
    issue 18's work, with this municipality's five topics; also counted on the real Asterisk by its Newexten
    events)."""
    entry = ordinary_path(extension("bereik-entry", CONFIG.number), {"LEN(${FILTER(": "answer"})
    assert entry == ["GotoIf", "Answer", "ExecIf", "MSet", "AGI"]
    queue = ordinary_path(extension("bereik-queue", CONFIG.front_office), {})
    assert queue == ["MSet", "GotoIf", "Queue"]


def test_the_caller_id_check_compares_lengths_only_so_no_caller_id_becomes_part_of_the_expression():
    first, name, number, answer = extension("bereik-entry", CONFIG.number)[:4]
    expression = first.split(",GotoIf($[", 1)[1].rsplit("]?", 1)[0]
    # Every ${...} in the expression is a LEN(...): what is compared are numbers, whatever a caller ID holds.
    lengths = re.sub(r"\$\{LEN\((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\)\}", "N", expression)
    assert lengths == "(N + N) = (N + N)"
    assert first.endswith("]?answer)") and answer == " same => n(answer),Answer()"
    # Each compared length is that of a filter applied below, or of what it filters.
    assert f"${{LEN(${{{name.split('=${', 1)[1][:-2]}}})}}" in expression
    assert f"${{LEN(${{{number.split('=${', 1)[1][:-2]}}})}}" in expression
    assert name == r" same => n,Set(CALLERID(name)=${FILTER(\x20-\x7e\x80-\xff,${CALLERID(name)})})"
    assert number == " same => n,Set(CALLERID(num)=${FILTER(0-9+*#,${CALLERID(num)})})"


def test_assignments_made_with_the_watchdogs_arming_need_the_watchdog():
    lines = dialplan._hand_over(CONFIG, "entry", also=(f"{var.DIALLED}=${{EXTEN}}",))
    assert lines[0] == f" same => n,MSet({var.DIALLED}=${{EXTEN}},TIMEOUT(absolute)={CONFIG.pbx.watchdog_seconds})"
    with pytest.raises(ValueError):
        dialplan._hand_over(CONFIG, "entry", watchdog=False, also=(f"{var.DIALLED}=${{EXTEN}}",))
