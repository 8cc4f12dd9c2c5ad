"""The agent's wrap-up of a call (issue 23): helped at once or not, for first-contact resolution."""
from yoyo import step

__depends__ = {"0004_calls_direct_outcome"}

steps = [step("ALTER TABLE calls ADD COLUMN resolved TEXT NOT NULL DEFAULT ''")]
