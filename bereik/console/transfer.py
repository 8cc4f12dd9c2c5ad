"""Warm (attended) transfer as a pure state machine: events in, the next state and commands out.

One class per state, one method per event (after wazo-calld's transfers/state.py).
Nothing here touches AMI: bereik.console.desk sends the commands and feeds the events.

    Idle --start--> Ringing --target answers--> Talking --agent completes--> Completed
                      |                            |
                      +-- agent cancels ----------+--> Cancelled   (CancelAtxfer: back to the caller)
                      +-- no answer / busy / declined --> Failed    (back to the caller)
                      +-- caller hangs up -------------> Failed    (agent keeps the colleague)

Every hang-up race is a named transition; an event that does not apply in a state
leaves the state as it is and says why (`Step.refused`), so a late event can never turn a
cancelled transfer into a completed one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Command(Enum):
    """What the shell must ask Asterisk to do."""

    ATXFER = "atxfer"  # the transfer key on the agent's channel (bereik.pbx.warm_transfer): music, the colleague rings
    COMPLETE = "complete"  # the attended-transfer complete key on the agent's channel: Asterisk joins caller and colleague
    CANCEL = "cancel"  # AMI CancelAtxfer: the colleague's leg ends, the agent is back with the caller


class Outcome(Enum):
    COMPLETED = "completed"  # the agent spoke to the colleague, then handed the caller over
    COMPLETED_UNATTENDED = "completed_unattended"  # the agent hung up while it rang: Asterisk hands over anyway
    CANCELLED = "cancelled"  # the agent took the caller back
    NO_ANSWER = "no_answer"  # the colleague did not answer in time: back to the caller
    BUSY = "busy"  # the colleague's phone was busy or unreachable: back to the caller
    DECLINED = "declined"  # the colleague rejected the ringing call: back to the caller
    TARGET_HUNG_UP = "target_hung_up"  # the colleague answered, then hung up: back to the caller
    CALLER_LEFT = "caller_left"  # the caller hung up while on hold: the agent keeps the colleague
    REFUSED_BY_ASTERISK = "refused_by_asterisk"  # AttendedTransfer Result=Fail, or an action starting it failed


@dataclass(frozen=True)
class Transfer:
    """The facts of one transfer; times in seconds (the shell's clock)."""

    agent_channel: str
    caller_channel: str
    target: str  # the colleague's extension
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None

    @property
    def transfer_seconds(self) -> float | None:
        """Telan's transfer time: from the agent's request until the colleague answers."""
        return None if self.answered_at is None else self.answered_at - self.started_at

    @property
    def wait_after_transfer_seconds(self) -> float | None:
        """How long the caller waited on hold until handed over or taken back."""
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True)
class Step:
    state: State
    commands: tuple[Command, ...] = ()
    refused: str | None = None  # why an event did not apply (shown to the agent, logged)


class State:
    """Every event, every state: the default is to refuse and stay."""

    name = "state"
    final = False

    def __init__(self, transfer: Transfer | None = None):
        self.transfer = transfer

    def _stay(self, why: str) -> Step:
        return Step(self, refused=why)

    def start(self, agent_channel: str, caller_channel: str, target: str, at: float) -> Step:
        return self._stay("a transfer is already under way" if not self.final else "this transfer has ended")

    def target_rings(self, at: float) -> Step:
        return self._stay("not calling a colleague")

    def target_answers(self, at: float) -> Step:
        return self._stay("not calling a colleague")

    def target_no_answer(self, at: float) -> Step:
        return self._stay("not calling a colleague")

    def target_busy(self, at: float) -> Step:
        return self._stay("not calling a colleague")

    def agent_completes(self, at: float) -> Step:
        return self._stay("no colleague on the line")

    def agent_cancels(self, at: float) -> Step:
        return self._stay("no transfer to cancel")

    def caller_hangs_up(self, at: float) -> Step:
        return self._stay("no caller on hold")

    def target_hangs_up(self, at: float) -> Step:
        return self._stay("no colleague on the line")

    def agent_hangs_up(self, at: float) -> Step:
        return self._stay("no transfer under way")

    def asterisk_refused(self, at: float) -> Step:
        return self._stay("no transfer under way")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transfer})"


def _end(transfer: Transfer, state: type[State], outcome: Outcome, at: float,
         *commands: Command) -> Step:
    return Step(state(replace(transfer, ended_at=at, outcome=outcome)), commands)


class Idle(State):
    name = "idle"

    def start(self, agent_channel: str, caller_channel: str, target: str, at: float) -> Step:
        transfer = Transfer(agent_channel, caller_channel, target, started_at=at)
        return Step(Ringing(transfer), (Command.ATXFER,))


class Ringing(State):
    """Consulting, the colleague's phone rings; the caller hears music on hold."""

    name = "ringing"

    def target_rings(self, at: float) -> Step:
        return Step(self)

    def target_answers(self, at: float) -> Step:
        return Step(Talking(replace(self.transfer, answered_at=at)))

    def target_no_answer(self, at: float) -> Step:
        # Asterisk keeps dialling on its own; cancelling is what brings the agent back.
        return _end(self.transfer, Failed, Outcome.NO_ANSWER, at, Command.CANCEL)

    def target_busy(self, at: float) -> Step:
        # Asterisk already returned the agent to the caller when the dial failed.
        return _end(self.transfer, Failed, Outcome.BUSY, at)

    def target_hangs_up(self, at: float) -> Step:
        """Race: the colleague rejects the ringing call; Asterisk returns the agent to the caller."""
        return _end(self.transfer, Failed, Outcome.DECLINED, at)

    def agent_completes(self, at: float) -> Step:
        """Race: complete before the colleague answered. Transfers are always warm: refused."""
        return self._stay("the colleague has not answered yet; wait, or cancel")

    def agent_cancels(self, at: float) -> Step:
        return _end(self.transfer, Cancelled, Outcome.CANCELLED, at, Command.CANCEL)

    def caller_hangs_up(self, at: float) -> Step:
        """Race: the caller gives up on hold; the agent stays with the ringing colleague."""
        return _end(self.transfer, Failed, Outcome.CALLER_LEFT, at)

    def agent_hangs_up(self, at: float) -> Step:
        """Race: the agent hangs up while it rings; Asterisk (atxferdropcall=no) hands the caller over
        unattended and calls the agent back if the colleague never answers."""
        return _end(self.transfer, Completed, Outcome.COMPLETED_UNATTENDED, at)

    def asterisk_refused(self, at: float) -> Step:
        return _end(self.transfer, Failed, Outcome.REFUSED_BY_ASTERISK, at)


class Talking(State):
    """Consulting, the agent speaks to the colleague; the caller still hears music on hold."""

    name = "talking"

    def target_answers(self, at: float) -> Step:
        return Step(self)

    def agent_completes(self, at: float) -> Step:
        return _end(self.transfer, Completed, Outcome.COMPLETED, at, Command.COMPLETE)

    def agent_hangs_up(self, at: float) -> Step:
        """The agent hanging up the handset completes an attended transfer in Asterisk."""
        return _end(self.transfer, Completed, Outcome.COMPLETED, at)

    def agent_cancels(self, at: float) -> Step:
        return _end(self.transfer, Cancelled, Outcome.CANCELLED, at, Command.CANCEL)

    def target_hangs_up(self, at: float) -> Step:
        """Race: the colleague hangs up during the consultation; Asterisk returns the agent to the caller."""
        return _end(self.transfer, Failed, Outcome.TARGET_HUNG_UP, at)

    def caller_hangs_up(self, at: float) -> Step:
        """Race: the caller hangs up while agent and colleague talk; they stay connected."""
        return _end(self.transfer, Failed, Outcome.CALLER_LEFT, at)

    def asterisk_refused(self, at: float) -> Step:
        return _end(self.transfer, Failed, Outcome.REFUSED_BY_ASTERISK, at)


class _Ended(State):
    final = True

    def _stay(self, why: str) -> Step:
        # Late events (a hang-up after the hand-over, a second click) change nothing.
        return Step(self, refused=f"the transfer has ended ({self.transfer.outcome.value})")


class Completed(_Ended):
    name = "completed"

    def asterisk_refused(self, at: float) -> Step:
        """Race: the agent completed but Asterisk reports the transfer failed (AttendedTransfer Result=Fail)."""
        return Step(Failed(replace(self.transfer, outcome=Outcome.REFUSED_BY_ASTERISK)))


class Cancelled(_Ended):
    name = "cancelled"


class Failed(_Ended):
    name = "failed"


EVENTS = ("target_rings", "target_answers", "target_no_answer", "target_busy", "agent_completes",
          "agent_cancels", "caller_hangs_up", "target_hangs_up", "agent_hangs_up", "asterisk_refused")

