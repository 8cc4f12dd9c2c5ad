"""What the monthly report needs beyond 0.1.0's columns (issue 21).

person, department: whom a direct call tried; transfers: every transfer by the front office (JSON);
left_in: the menu stage where the caller hung up; refused: turned away by the PBX (lines busy);
inside: a colleague's call from a desk phone. 0.1.0's transfer_seconds, transfer_wait_seconds and
transfer_answered stay, unused: `transfers` holds them per transfer.
"""
from yoyo import step

__depends__ = {"0002_journey_labels"}

steps = [step(f"ALTER TABLE calls ADD COLUMN {column}") for column in (
    "person TEXT NOT NULL DEFAULT ''",
    "department TEXT NOT NULL DEFAULT ''",
    "transfers TEXT NOT NULL DEFAULT '[]'",
    "left_in TEXT NOT NULL DEFAULT ''",
    "refused INTEGER NOT NULL DEFAULT 0",
    "inside INTEGER NOT NULL DEFAULT 0",
)]
