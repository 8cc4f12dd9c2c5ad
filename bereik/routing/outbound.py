"""The outbound class of service: which numbers a call from the municipality may reach through the trunk.

Toll fraud pays the fraudster through premium (0900, 0906, 0909) and international numbers, so by
default only Dutch fixed, mobile and freephone numbers, the national municipal 14-numbers and 112 are
allowed; the YAML (`outbound:`) adds classes or single numbers and prefixes. One table of Asterisk
patterns per class is the whole definition: the generated dialplan (context bereik-outbound, the only
place that dials the trunk) is made from it, and `OutboundPolicy.verdict` matches the same patterns, so
bereik's own decisions (console transfers, forwards to mobiles, call-backs) and Asterisk agree.

Use it before bereik sends a call out, and send the call through the dialplan's gate regardless:

    policy = OutboundPolicy.from_config(config)
    verdict = policy.verdict("+31612345678")      # Verdict(allowed=True, number='0612345678', kind='mobile')
    if not verdict.allowed: refuse(verdict.reason)
    dial(verdict.number)                          # Dial(Local/<number>@bereik-outbound) or Goto there

Numbers are in Dutch national form (0...). "+31..." is the same number ("0..."), any other "+CC..."
is international ("00CC..."); "0031..." is dialled with the international prefix and stays
international, so it is refused like any other unless the class is allowed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Asterisk extension patterns (leading _ implied): X any digit, Z 1-9, N 2-9, [..] a set, "." one or more more.
CLASSES: dict[str, tuple[str, ...]] = {
    # 112 can never be refused; it is in every class of service.
    "emergency": ("112",),
    # Geographic 01x-05x and 07x; 085, 088 and 091 are non-geographic numbers at the fixed rate; 14 + area
    # code is a municipality's national short number (14023, 140299).
    "fixed": ("0[1-57]XXXXXXXX", "08[58]XXXXXXX", "091XXXXXXX", "140XX", "140XXX"),
    "mobile": ("06[1-5]XXXXXXX",),
    "freephone": ("0800XXXX", "0800XXXXXXX"),
    "premium": ("090[069]X.",),
    "international": ("00X.",),
}
DEFAULT_CLASSES = ("fixed", "mobile", "freephone")
ALWAYS = ("emergency",)
KINDS = tuple(CLASSES)
# An entry of outbound.allow: a whole number, or a prefix ending in '*' ("0032*": Belgium).
ALLOW_ENTRY = re.compile(r"^(?:\+|00)?[0-9]{2,15}\*?$")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    number: str  # in national form, as the dialplan dials it
    kind: str | None  # the class it belongs to, "listed" for outbound.allow, None when it is no number
    reason: str = ""  # why not, in words for the agent or administrator

    def __bool__(self) -> bool:
        return self.allowed


def national(number: str) -> str:
    """'+31 6-1234 5678' -> '0612345678', '+32...' -> '0032...'; spaces, dashes and dots dropped."""
    digits = re.sub(r"[\s.()-]", "", number)
    if digits.startswith("+31"):
        return "0" + digits[3:]
    if digits.startswith("+"):
        return "00" + digits[1:]
    return digits


def allow_pattern(entry: str) -> str:
    """outbound.allow's entry as an Asterisk pattern (without the leading _) or a plain number."""
    prefix = entry.endswith("*")
    number = national(entry.rstrip("*"))
    return f"{number}X." if prefix else number


def matches(pattern: str, number: str) -> bool:
    """Asterisk's extension pattern matching, for the patterns of this module (no leading _)."""
    return _compiled(pattern).fullmatch(number) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "[":
            end = pattern.index("]", index)
            parts.append(f"[{re.escape(pattern[index + 1:end]).replace(chr(92) + '-', '-')}]")
            index = end + 1
            continue
        parts.append({"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(char, re.escape(char)))
        index += 1
    return re.compile("".join(parts))


@dataclass(frozen=True)
class OutboundPolicy:
    classes: tuple[str, ...] = DEFAULT_CLASSES
    allow: tuple[str, ...] = ()  # outbound.allow as written

    @classmethod
    def from_config(cls, config) -> OutboundPolicy:
        return cls(tuple(config.outbound.classes), tuple(config.outbound.allow))

    def allowed_patterns(self) -> list[tuple[str, str]]:
        """(pattern, class) of every number that may go out; a listed number or prefix says 'listed'."""
        kinds = dict.fromkeys([*ALWAYS, *self.classes])
        return [(p, kind) for kind in kinds for p in CLASSES[kind]] + [(allow_pattern(e), "listed") for e in self.allow]

    def kind_of(self, number: str) -> str | None:
        """The class a national number belongs to, allowed or not (the classes do not overlap)."""
        return next((kind for kind, patterns in CLASSES.items() for p in patterns if matches(p, number)), None)

    def verdict(self, number: str) -> Verdict:
        dialled = national(number)
        if not re.fullmatch(r"[0-9]{2,20}", dialled):
            return Verdict(False, dialled, None, "not a telephone number")
        kind = self.kind_of(dialled)
        if kind in (*ALWAYS, *self.classes):
            return Verdict(True, dialled, kind)
        if any(matches(allow_pattern(entry), dialled) for entry in self.allow):
            return Verdict(True, dialled, "listed")
        what = {"premium": "a premium-rate number (0900, 0906, 0909)", "international": "an international number",
                None: "not a Dutch fixed, mobile or freephone number"}.get(kind, f"a {kind} number")
        return Verdict(False, dialled, kind, f"{what}: the class of service (outbound: in the YAML) does not allow it")
