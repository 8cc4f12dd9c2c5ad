"""How a direct call went for the person it tried (issue 20): why it fell back, and whether it went to a
substitute or the person's mobile, so the report tells reachability per person by hour apart from
absences, forwards and do-not-disturb that were set."""
from yoyo import step

__depends__ = {"0003_calls_report_facts"}

steps = [step(f"ALTER TABLE calls ADD COLUMN {column}") for column in (
    "failed TEXT NOT NULL DEFAULT ''",
    "via TEXT NOT NULL DEFAULT ''",
)]
