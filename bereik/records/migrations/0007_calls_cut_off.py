"""Calls cut off by a lost PBX node (issue 25): closed by a surviving bereik, told apart from callers who hung up."""
from yoyo import step

__depends__ = {"0006_callbacks"}

steps = [step("ALTER TABLE calls ADD COLUMN cut_off INTEGER NOT NULL DEFAULT 0")]
