"""Telan's 'geslaagde contactpogingen' (successful contact), defined once for the monthly report and the what-if.

An attempt is a call for a colleague: dialled directly, or transferred by the front office. It
succeeds when the caller reached the right person (or a colleague of the same department) directly,
via the front office (a transfer the colleague answered), or by a call-back kept on time; or when
the front office took the fallen-back call and handled it itself without a call-back note (Telan's
"correct initiatief"; until agents record whether the question was answered, taking the call counts).
Haarlem 2019: 595 attempts, 206 direct + 196 called back on time + 51 correct initiative = 77%.
"""
from __future__ import annotations

from enum import Enum

from bereik.records.summary import DIRECT, CallRow, transfers_of


class Contact(Enum):
    DIRECT = "direct"  # the colleague (or a pickup, a camp-on) answered the direct call
    VIA_FRONT_OFFICE = "via_front_office"  # the front office transferred the caller and the colleague answered
    CALLED_BACK = "called_back"  # a call-back note or request, kept on time
    FRONT_OFFICE = "front_office"  # the front office took the fallen-back call itself
    FAILED = "failed"  # none of these: the caller must try again
    PENDING = "pending"  # a call-back still within its term: judged once it is kept or late

    @property
    def successful(self) -> bool:
        return self not in (Contact.FAILED, Contact.PENDING)


def contact(row: CallRow, callback_on_time: bool | None = None) -> Contact | None:
    """The outcome of one call for a colleague; None for a call that looked for nobody in particular.
    `callback_on_time`: what the call-back notes say (the live report), else the row's own (the simulation)."""
    transfers = transfers_of(row)
    if row.kind != DIRECT and not transfers:
        return None
    if row.direct_answered:
        return Contact.DIRECT
    if any(t.answered for t in transfers):
        return Contact.VIA_FRONT_OFFICE
    if row.callback_requested:
        on_time = row.callback_on_time if callback_on_time is None else callback_on_time
        return Contact.PENDING if on_time is None else Contact.CALLED_BACK if on_time else Contact.FAILED
    if row.fallback and row.agent and not row.abandoned:
        return Contact.FRONT_OFFICE
    return Contact.FAILED
