"""Asterisk configuration generated from the municipality's YAML.

The dialplan hands every call to bereik over FastAGI and fails open: when
bereik is unreachable, crashes mid-call or freezes, the call still reaches
the front-office queue. It only trusts BEREIK_ROUTED, which bereik sets last.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bereik.config.model import WEEKDAYS, Config, Person, Position
from bereik import facts
from bereik.pbx import variables as var
from bereik.pbx import whisper
from bereik.pbx import events
from bereik.pbx.hints import AWAY_DEVICE, PRESENCE
from bereik.presence.vocabulary import MOBILE_DEVICE
from bereik.routing.direct import SECONDS_PER_RING, Origin, Stage
from bereik.routing.features import DIALPLAN_PATTERNS
from bereik.pbx import cel
from bereik.ivr.phrases import feature_text, other_municipality_text, outside_text, recording_notice
from bereik.ivr.prompts import SOUND_SUBDIR, PromptLibrary
from bereik.routing import failopen
from bereik.routing.outbound import OutboundPolicy
from bereik.routing.waiting import PenaltyPlan, max_wait_text, penalty_plan
from bereik.secrets import AMI_SECRET, Secrets

AMI_USER = "bereik"
INBOUND_CONTEXT = "bereik-inbound"  # the trunk's context: only the numbers callers may dial, nothing internal
ENTRY_CONTEXT = "bereik-entry"
QUEUE_CONTEXT = "bereik-queue"
# The class of service (bereik.routing.outbound): the one context that dials the trunk. Forwards go to
# <number>@bereik-outbound by Goto, rings of a mobile by Dial(Local/<number>@bereik-outbound).
OUTBOUND_CONTEXT = "bereik-outbound"
OUTSIDE_CONTEXT = "bereik-outside"  # a menu option's outside organisation, by key, through bereik-outbound
# Another municipality on the shared 14 number, by its number in the YAML, through bereik-outbound.
MUNICIPALITY_CONTEXT = "bereik-other-municipality"
PUT_THROUGH_CONTEXTS = (OUTSIDE_CONTEXT, MUNICIPALITY_CONTEXT)  # both fall back to the front office
INTERNAL_CONTEXT = "bereik-internal"
PICK_CONTEXT = "bereik-pick"  # a caller an agent took from the console's waiting list (AMI Redirect)
AUTO_ANSWER_CONTEXT = "bereik-autoanswer"  # pre-dial handler: the headers that make a desk phone answer itself
AUTO_ANSWER_URI = "bereik.invalid"  # the headers need a URI; phones read only the parameters
PICK_QUEUE = "BEREIK_PICK_QUEUE"  # the queue the picked caller waited in: back there if the phone does not answer
PHONE_OUT_CONTEXT = "bereik-phone-out"  # a desk phone's call out: its department's caller ID, then the gate
DIRECT_CONTEXT = "bereik-direct"
CAMP_QUEUE_PREFIX = "camp-"  # camp-<extension>: callers waiting behind that colleague's call
MOBILE_CONTEXT = "bereik-mobile"  # <extension>: that person's own mobile, as the YAML has it
MOBILE_ANSWERED = "bereik-mobile-answered"  # gosubs that keep Custom:bereik-mobile-<extension> current
MOBILE_ENDED = "bereik-mobile-ended"
FROM_MOBILE = "bereik-from-mobile"  # a colleague's mobile calling out through the PBX (back_office.mobile_dial_out)
FEATURES_CONTEXT = "bereik-features"  # *21*, #21#, *78, ... from a desk phone (bereik.routing.features)
RECORD_CODE = "*9"  # the console's record button: AMI MixMonitor needs `system`, PlayDTMF only `call`
# The console's "complete transfer" button, played as the agent's keys during the consultation. Unlike
# hanging up the agent's leg, Asterisk then completes the transfer while the agent is still in the
# consultation, so its AttendedTransfer event always names the colleague's channel (a hang-up races
# the agent's leaving that bridge and sometimes leaves TransferTarget* out). Not *2: that is atxfer.
ATXFER_CODE = "*2"  # an attended transfer (bereik.pbx.warm_transfer)
ATXFER_COMPLETE_CODE = "*5"
PICKUP_CODE = "*8"  # alone: the ringing phone of one's own department; *8<extension>: that colleague's
TRUNK_ENDPOINT = "trunk"
OVERFLOW_PENALTY = 10  # the overflow position parked above every caller's range (bereik.pbx.waiting)
# Call-backs (bereik.pbx.virtual_hold): every call-back call starts in a context named bereik-callback-*.
CALLBACK_PREFIX = "bereik-callback"
CALLBACK_LEFT_CONTEXT = "bereik-callback-left"  # a waiting caller confirmed: a stand-in takes its place
CALLBACK_HOLD_CONTEXT = "bereik-callback-hold"  # the stand-in, waiting in the queue for an agent
CALLBACK_OUT_CONTEXT = "bereik-callback-out"  # the phone rung first answered: now the caller's rings
CALLBACK_OWNER_CONTEXT = "bereik-callback-owner"  # a note dialled from the console: the owner's own phone first
STAND_IN_SECONDS = 4 * 3600  # the longest a stand-in waits for its turn
FAILOPEN_CONTEXT = "bereik-failopen"  # bereik did not route the call: open, the queue; closed, the message
FAILOPEN_DATES_CONTEXT = "bereik-failopen-dates"
CLOSED_CONTEXT = "bereik-closed"
WHISPER_CONTEXT = whisper.CONTEXT
WHISPER_SCRIPT = "whisper"  # bereik.pbx.whisper
TOPIC_RULE = "topic-fallback"
PENALTIES_GLOBAL = "BEREIK_PENALTIES_"  # + a topic: that topic's penalty range, as MSet's arguments
AGENT_RING_SECONDS = 20  # four Dutch rings before the next agent is tried
# A menu option's outside organisation (bereik.routing.flow.PutThrough) or another municipality on the shared
# 14 number (Forward): six rings, then the front office.
OUTSIDE_RING_SECONDS = 30

HEADER = "; Generated by bereik from {source}. Do not edit: change the YAML and run `bereik dialplan` again.\n"

# Printable characters, Latin-1 and UTF-8 bytes included; no control characters.
_SAFE_NAME_CHARS = r"\x20-\x7e\x80-\xff"


def generate(config: Config, secrets: Secrets, source: str = "the YAML", today: dt.date | None = None
             ) -> dict[str, str]:
    """File name -> contents of every Asterisk configuration file bereik owns. `today`: the first day of the
    dated fail-open table (default: today where the municipality is)."""
    header = HEADER.format(source=Path(source).name)
    files = {
        "extensions.conf": _extensions(config, today or dt.datetime.now(config.zone).date()),
        "queues.conf": _queues(config),
        "queuerules.conf": f"[{TOPIC_RULE}]\n{penalty_plan(config).fallback_rule(config.waiting.topic_fallback_seconds)}\n",
        "pjsip.conf": _pjsip(config, secrets),
        "manager.conf": _manager(config, secrets),
        "modules.conf": _MODULES,
        "stasis.conf": _stasis(),
        "indications.conf": _INDICATIONS,
        "rtp.conf": _RTP,
        "features.conf": _FEATURES,
        "musiconhold.conf": _MUSICONHOLD,
        "logger.conf": _LOGGER,
        # Asterisk's own record of every call, for bereik to fill in what it missed while away.
        "cel.conf": cel.cel_conf(),
        "cel_custom.conf": cel.cel_custom_conf(),
        "cdr.conf": _CDR,
    }
    return {name: header + body for name, body in files.items()}


def write(files: dict[str, str], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in files.items():
        path = directory / name
        path.write_text(body)
        # manager.conf and pjsip.conf hold secrets
        path.chmod(0o600 if name in ("manager.conf", "pjsip.conf") else 0o644)
        written.append(path)
    return written


def mobile_dial(extension: str) -> str:
    """The Dial() target that rings a person's own mobile (their forward, or with the desk). /n: the Local
    channel stays until the call ends, so the mobile counts as in use for as long as it is."""
    return f"Local/{extension}@{MOBILE_CONTEXT}/n"


def _dial_out(number: str, seconds: int | str = "", options: str = "") -> str:
    """Every call bereik makes to the telephone network (a person's own mobile, a call-back, a call out from a
    colleague's mobile) goes through the class of service (bereik-outbound), the one context that dials the
    trunk."""
    return f"Dial(Local/{number}@{OUTBOUND_CONTEXT}/n,{seconds}{',' + options if options else ''})"


# What the direct-call context dials from BEREIK_DIAL: desk phones and people's own mobiles, nothing else.
_RING_TARGET = rf"(PJSIP/[0-9]+|Local/[0-9]+@{MOBILE_CONTEXT}/n)"
_RINGABLE = rf"^{_RING_TARGET}(&{_RING_TARGET})*$"


def _host_port(value: str) -> tuple[str, int]:
    host, port = value.rsplit(":", 1)
    return host, int(port)


def _hand_over(config: Config, script: str, argument: str = "", *, watchdog: bool = True,
               also: tuple[str, ...] = ()) -> list[str]:
    """AGI to this server's bereik; with pbx.agi_fallback, the next instance when one cannot be reached.
    Only AGISTATUS=FAILURE (no connection) tries the next: a bereik that took the call and then
    failed has already spoken to the caller, so that call fails open as before. `watchdog`: each
    try re-arms the context's TIMEOUT(absolute), cleared once a bereik has answered. `also`: assignments
    (no commas) made in the step that arms the first try, one step fewer."""
    addresses = [config.pbx.agi, *config.pbx.agi_fallback]
    arguments = f",{argument}" if argument else ""
    if also and not watchdog:
        raise ValueError("`also` is made in the step that arms the watchdog")
    lines = []
    for number, address in enumerate(addresses):
        if watchdog and also and number == 0:
            lines.append(f" same => n,MSet({','.join(also)},TIMEOUT(absolute)={config.pbx.watchdog_seconds})")
        elif watchdog:
            lines.append(f" same => n,Set(TIMEOUT(absolute)={config.pbx.watchdog_seconds})")
        lines.append(f" same => n,AGI(agi://{address}/{script}{arguments})")
        if number < len(addresses) - 1:
            lines.append(' same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)')
    label = "(handed_over)" if len(addresses) > 1 else ""
    if watchdog:
        return [*lines, f" same => n{label},Set(TIMEOUT(absolute)=0)"]
    return [*lines, f" same => n{label},NoOp()"] if label else lines


def _extensions(config: Config, today: dt.date) -> str:
    front_office = config.front_office
    extensions = sorted({p.extension for q in config.queues for p in q.positions})
    lines = [
        "[general]",
        "static=yes",
        "writeprotect=yes",
        # bereik keeps each position's pause reason in a global (bereik.pbx.members): a reload keeps it.
        "clearglobalvars=no",
        "",
        "[globals]",
        # Every AGI of bereik's: the call leaves a FastAGI connection that never speaks (a frozen bereik) when the
        # caller hangs up or the watchdog (T) fires. A global, not a channel variable set by every call.
        "AGIEXITONHANGUP=yes",
        *_penalty_globals(config),
        "",
        f"[{INBOUND_CONTEXT}]",
        "; What callers from outside may dial: the 14 number, general and direct numbers. The watchdog's T and",
        "; everything else live in contexts no SIP peer reaches directly.",
        *[f"exten => {number},1,Goto({ENTRY_CONTEXT},{number},1)" for number in config.entry_numbers],
        *_direct_numbers(config),
        *_calls_from_mobiles(config),
        "",
        f"[{ENTRY_CONTEXT}]",
        *[line for number in config.entry_numbers for line in _entry(config, number)],
        "; The watchdog expired while bereik held the call: bereik is frozen or gone.",
        "exten => T,1,Set(TIMEOUT(absolute)=0)",
        f' same => n,GotoIf($["${{{var.ROUTED}}}" = "1"]?${{{var.DIALLED}}},routed)',
        *_fell_through("watchdog"),
        *_recording_notice(config),
        f" same => n,Goto({FAILOPEN_CONTEXT},{front_office},1)",
        "",
        *_failopen(config, today),
        "",
        f"[{QUEUE_CONTEXT}]",
    ]
    for queue in config.queues:
        if queue.id == front_office:
            lines += _front_office_queue(config)
            continue
        lines += [
            f"exten => {queue.id},1,NoOp(bereik queue {queue.id})",
            # r: the caller hears ringing, not music; t: the agent may transfer; x: the agent may record
            # (automixmon, started by the console with PlayDTMF: AMI MixMonitor needs the system class).
            f" same => n,Queue({queue.id},rtx)",
            " same => n,Hangup()",
        ]
    lines += [
        "; A queue bereik does not know (never expected): the front office.",
        f"exten => _[a-z].,1,Goto({front_office},1)",
        "",
        *_waiting_contexts(config),
        "",
        *_outbound(config),
        "",
        *_outside_context(config),
        f"[{INTERNAL_CONTEXT}]",
        "; Desk phones call each other and the front office.",
        *[line for ext in extensions for line in (
            f"exten => {ext},1,Dial(PJSIP/{ext},{AGENT_RING_SECONDS * 3})",
            " same => n,Hangup()",
        )],
        *[f"exten => {number},1,Goto({ENTRY_CONTEXT},{number},1)" for number in config.entry_numbers],
        *_internal_back_office(config),
        *_hints(config, extensions),
        *_phone_out(config),
        "",
        f"[{PICK_CONTEXT}]",
        "; A caller the agent took in the console (from the waiting list, or Opnemen while the queue rang the",
        "; phone): that agent's phone, told to answer by itself (b: the auto-answer headers); t, x: transfer and",
        "; record as in the queue. Not answered: back to the queue the caller waited in, never dropped.",
        f"exten => _X.,1,Dial(PJSIP/${{FILTER(0-9,${{EXTEN}})}},{AGENT_RING_SECONDS},txb({AUTO_ANSWER_CONTEXT}^s^1))",
        f' same => n,Goto({QUEUE_CONTEXT},${{IF($["${{{PICK_QUEUE}}}" != ""]?${{{PICK_QUEUE}}}:{config.front_office})}},1)',
        "",
        f"[{AUTO_ANSWER_CONTEXT}]",
        "; On the agent's leg before it rings: the intercom headers desk phones answer by themselves on",
        "; (Alert-Info info=alert-autoanswer: Yealink, Gigaset, Poly with an alertInfo rule of class autoAnswer;",
        "; Call-Info answer-after=0: Snom with its intercom policy on, Gigaset, Grandstream). Others ring as ever.",
        f"exten => s,1,Set(PJSIP_HEADER(add,Call-Info)=<sip:{AUTO_ANSWER_URI}>\\;answer-after=0)",
        f" same => n,Set(PJSIP_HEADER(add,Alert-Info)=<http://{AUTO_ANSWER_URI}>\\;info=alert-autoanswer\\;delay=0)",
        " same => n,Return()",
        "",
        *_direct_context(config),
        *_features_context(config),
        *_mobile_contexts(config),
        *_from_mobile_context(config),
    ]
    return "\n".join(lines)


def _fell_through(reason: str, label: str = "") -> list[str]:
    """The call goes on without bereik: say why on the channel (AMI events carry it) and in Asterisk's own
    event log, so that a bereik that was down when it happened still counts it (the operator's first alarm)."""
    return [f" same => n{label},Set({var.REASON}={reason})",
            f" same => n,CELGenUserEvent({cel.FELL_THROUGH},${{{var.REASON}}})"]


def _filtered_caller_id(first: str, clean: str) -> list[str]:
    """Control characters in caller IDs would break the AGI and AMI line protocols: the name keeps printable
    characters only, the number digits, + * and #. One step checks both, and they are set (each set a step and a
    channel snapshot, tasks of Asterisk's one AMI thread: bench.call_paths) only when a filter would take something
    out. FILTER only removes, so equal lengths mean nothing to take out; the lengths are numbers, so no caller ID
    ever becomes part of the expression. `first`: the extension's first line up to its application; `clean`: the
    label of the step after the filters."""
    name = f"FILTER({_SAFE_NAME_CHARS},${{CALLERID(name)}})"
    number = "FILTER(0-9+*#,${CALLERID(num)})"
    return [
        f"{first},GotoIf($[(${{LEN(${{{name}}})}} + ${{LEN(${{{number}}})}}) = "
        f"(${{LEN(${{CALLERID(name)}})}} + ${{LEN(${{CALLERID(num)}})}})]?{clean})",
        f" same => n,Set(CALLERID(name)=${{{name}}})",
        f" same => n,Set(CALLERID(num)=${{{number}}})",
    ]


def _entry(config: Config, number: str) -> list[str]:
    """A call to the 14 number or a general number: bereik decides, and the caller reaches the front office
    whatever happens to bereik."""
    kind = "the 14 number" if number == config.number else "a general number"
    outputs = "".join(f"${{{name}}}" for name in var.OUTPUTS)
    return [
        f"; Calls to {number} ({kind}) from outside.",
        *_filtered_caller_id(f"exten => {number},1", "answer"),
        " same => n(answer),Answer()",
        # Cleared here, right before the hand-over, so nothing stale is trusted (a caller transferred back to
        # this number carries its first pass's decision); a new call has none, and clearing costs Asterisk's
        # AMI thread a task a variable (bench.call_paths).
        f" same => n,ExecIf($[${{LEN({outputs})}} > 0]?MSet({','.join(f'{name}=' for name in var.OUTPUTS)}))",
        # DIALLED: where the watchdog (T) finds the decision. Asterisk has no AGI inactivity timeout: a frozen
        # bereik must not hold the caller; bereik re-arms the watchdog before every step for as long as the step
        # takes (pbx/voice.py); AGIEXITONHANGUP (a global) lets it pull the call out of a connection that never
        # speaks. In the step that arms the watchdog for the first try.
        *_hand_over(config, "entry", also=(f"{var.DIALLED}=${{EXTEN}}",)),
        # bereik sends a caller it routes to a queue there itself (pbx.voice.Voice.hand_over's go_to); from here on
        # only what it left to the dialplan, or a bereik that failed after deciding. Routed to a queue: one step.
        f' same => n,GotoIf($["${{{var.ROUTED}}}" = "1" & "${{{var.ACTION}}}" = "{var.ACTION_QUEUE}"]'
        f'?{QUEUE_CONTEXT},${{{var.QUEUE}}},1)',
        f' same => n,GotoIf($["${{{var.ROUTED}}}" = "1"]?routed)',
        # Fail open: bereik unreachable (AGISTATUS=FAILURE) or gone mid-call.
        *_fell_through("failopen-${AGISTATUS}"),
        *_recording_notice(config),
        f" same => n,Goto({FAILOPEN_CONTEXT},{config.front_office},1)",
        f' same => n(routed),GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_QUEUE}"]?{QUEUE_CONTEXT},${{{var.QUEUE}}},1)',
        *_put_through(config),
    ]


def _put_through(config: Config) -> list[str]:
    """Another municipality on the shared number, by its number; a menu option's outside organisation, by the
    key the caller pressed: each to its own context, which falls back to the front office."""
    lines = []
    if _other_municipalities(config):
        lines.append(f' same => n,GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_FORWARD}"]'
                     f'?{MUNICIPALITY_CONTEXT},${{{var.FORWARD_TO}}},1)')
    if _outside_options(config):
        lines.append(f' same => n,GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_OUTSIDE}"]'
                     f'?{OUTSIDE_CONTEXT},${{{var.CHOICE}}},1)')
    return [*lines, " same => n,Hangup()"]


def _outside_options(config: Config) -> list:
    return [option for option in (config.menu.options if config.menu else []) if option.outside]


def _other_municipalities(config: Config) -> list:
    return list(config.shared_number.others) if config.shared_number else []


def _outside_context(config: Config) -> list[str]:
    """Each outside organisation of the menu, by its key, and each other municipality on the shared number, by
    its number."""
    outside = [(option.key, option.organisation, option.forward_to,
                outside_text(config, "not_reached", option.organisation)) for option in _outside_options(config)]
    others = [(other.forward_to, f"the municipality {other.name}", other.forward_to,
               other_municipality_text(config, "not_reached", other.name)) for other in _other_municipalities(config)]
    return [*_fallback_context(config, OUTSIDE_CONTEXT, "Menu options that put the caller through to an outside "
                               "organisation (forward_to in the YAML).", outside, "key"),
            *_fallback_context(config, MUNICIPALITY_CONTEXT, "Callers who picked another municipality on the shared "
                               "14 number (shared_number.others in the YAML).", others, "number")]


def _fallback_context(config: Config, context: str, purpose: str, targets: list[tuple[str, str, str, str]],
                      by: str) -> list[str]:
    """Put through to someone outside, never a dead end. targets: (extension, who, number, what the caller hears
    when it fails). The number is the YAML's, not a channel variable's, and is dialled through the class of
    service like every call out, so Asterisk itself refuses one outside it. Busy, not answered, refused: the
    caller hears so and goes to the front office, labelled with why, for the screen-pop and the records."""
    if not targets:
        return []
    prompts = PromptLibrary(Path(), config.language)
    failed = '${IF($["${DIALSTATUS}" = "BUSY"]?busy:${IF($["${DIALSTATUS}" = "NOANSWER"]?noanswer:unavailable)})}'
    lines = [f"[{context}]", f"; {purpose}"]
    for extension, who, number, not_reached in dict.fromkeys(targets):
        lines += [
            f"; {extension}: {who}",
            f"exten => {extension},1,{_dial_out(number, OUTSIDE_RING_SECONDS, 'r')}",
            ' same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?answered)',
            f" same => n,Set({var.FAILED}={failed})",
            f" same => n,Playback({prompts.sound_name(not_reached)})",
            f" same => n,Goto({QUEUE_CONTEXT},{config.front_office},1)",
            " same => n(answered),Hangup()",
        ]
    return [*lines, f"; Any other {by} (never expected): the front office.",
            f"exten => _X!,1,Goto({QUEUE_CONTEXT},{config.front_office},1)", ""]


def _failopen(config: Config, today: dt.date) -> list[str]:
    """Opening hours and closing days as dialplan (bereik.routing.failopen): a caller bereik did not route
    joins the queue while the office is open, and hears the closing message otherwise."""
    zone = config.timezone
    sounds = PromptLibrary(Path(), config.language)

    def goto(span: failopen.Span, weekday: str) -> str:
        target = "open" if span.closed_message is None else \
            f"{CLOSED_CONTEXT},{sounds.sound_name(span.closed_message).split('/', 1)[1]},1"
        return f" same => n,GotoIfTime({span.times},{weekday},*,*,{zone}?{target})"

    table = failopen.dated(config, today)
    queue = f"{QUEUE_CONTEXT},${{{var.FAILOPEN_QUEUE}}},1"
    lines = [
        f"[{FAILOPEN_CONTEXT}]",
        "; bereik did not route the call (unreachable, crashed, frozen). The dialplan knows the opening hours:",
        "; open, the caller joins the queue; closed, it hears the closing message and the call ends.",
        f"exten => _[a-z].,1,Set({var.FAILOPEN_QUEUE}=${{EXTEN}})",
        f" same => n,Set({var.TODAY}=${{STRFTIME(${{EPOCH}},{zone},%Y%m%d)}})",
        f" same => n,GotoIf(${{DIALPLAN_EXISTS({FAILOPEN_DATES_CONTEXT},${{{var.TODAY}}},1)}}"
        f"?{FAILOPEN_DATES_CONTEXT},${{{var.TODAY}}},1)",
        *[goto(span, WEEKDAYS[weekday][:3]) for weekday, spans in enumerate(failopen.weekly(config))
          for span in spans],
        f" same => n(open),Goto({queue})",
        "",
        f"[{FAILOPEN_DATES_CONTEXT}]",
        f"; Public holidays, extra closing days and the days before them, {today} to "
        f"{today + dt.timedelta(days=failopen.TABLE_DAYS - 1)}: run `bereik dialplan` at least once a year.",
    ]
    for day, spans in table.items():
        lines += [f"exten => {day:%Y%m%d},1,NoOp({day})", *[goto(span, "*") for span in spans],
                  f" same => n,Goto({queue})"]
    return [
        *lines, "",
        f"[{CLOSED_CONTEXT}]",
        "; The closing message (only bereik's own sounds, by hash), then the call ends.",
        f"exten => _[0-9a-f].,1,Set({var.REASON}=${{{var.REASON}}}{facts.CLOSED_BY_PBX})",
        " same => n,Playback(bereik/${FILTER(0-9a-f,${EXTEN})})",
        " same => n,Hangup()",
    ]


def _recording_notice(config: Config) -> list[str]:
    """A caller who fails open may be recorded in the queue too, so hears the notice bereik would have played
    (perhaps a second time, when bereik failed after playing it). A missing sound file is skipped by Playback."""
    notice = recording_notice(config)
    return [f" same => n,Playback({PromptLibrary(Path(), config.language).sound_name(notice)})"] if notice else []


def _front_office_queue(config: Config) -> list[str]:
    """The TIC queue: a caller with a topic is offered to its agents first, every TIC agent after the wait.

    Each position has its own penalty (bereik.routing.waiting.penalty_plan); a topic is a
    range of them, the rule `topic-fallback` widens it to all after waiting.topic_fallback_seconds.
    """
    queue = config.front_office
    # The first entry's time, kept when a caller who could not be called back returns.
    queued_at = f'${{IF($["${{{var.QUEUED_AT}}}" = ""]?${{EPOCH}}:${{{var.QUEUED_AT}}})}}'
    topic = f"{PENALTIES_GLOBAL}${{{var.TOPIC}}}"
    # A topic the YAML no longer has (the caller was queued before a reload): every position's, as without one.
    penalties = f"${{IF($[${{LEN(${{{topic}}})}} > 0]?${{{topic}}}:${{{PENALTIES_GLOBAL}}})}}"
    # Seconds left before waiting.max_wait_seconds, computed where read: a variable set is two tasks.
    wait_left = f"$[{config.waiting.max_wait_seconds} - ${{EPOCH}} + ${{{var.QUEUED_AT}}}]"
    # A call-back's stand-in keeps the caller's place for as long as it takes: no maximum wait.
    where = f'$["${{{var.STAND_IN}}}" = "1"]?stand_in:${{IF($[{wait_left} < 1]?too_long:wait)}}'
    lines = [
        # The topic's penalties (a global each, PENALTIES_GLOBAL) and the first entry's time in one step, and where
        # to in one more: every dialplan step and variable set is work for Asterisk's one AMI thread
        # (bench.call_paths).
        f"exten => {queue},1,MSet({penalties},{var.QUEUED_AT}={queued_at})",
        f" same => n,GotoIf({where})",
        # r: ringing, not music; t: the agent may transfer; x: record. The wait left is the queue's timeout; the
        # last argument puts a returning caller at its place.
        f" same => n(wait),Queue({queue},rtx,,,{wait_left},,,{TOPIC_RULE},${{{var.POSITION}}})",
        ' same => n,GotoIf($["${QUEUESTATUS}" = "TIMEOUT"]?too_long)',
        # bereik took the caller out (QueueWithdrawCaller) after it confirmed a call-back.
        f' same => n,GotoIf($["${{QUEUESTATUS}}" = "WITHDRAW" & "${{{var.CALLBACK}}}" != "" & '
        f'"${{{var.APPOINTMENT}}}" = ""]?{CALLBACK_LEFT_CONTEXT},${{{var.CALLBACK}}},1)',
        # Or after it chose an appointment time: the time is said (bereik's own sound), no stand-in.
        f' same => n,ExecIf($["${{QUEUESTATUS}}" = "WITHDRAW" & "${{QUEUE_WITHDRAW_INFO}}" != ""]?'
        f'Playback({SOUND_SUBDIR}/${{FILTER(0-9a-f,${{QUEUE_WITHDRAW_INFO}})}}))',
        " same => n,Hangup()",
        f" same => n(stand_in),Queue({queue},rtx,,,,,,{TOPIC_RULE},${{{var.POSITION}}})",
        " same => n,Hangup()",
        *_max_wait(config),
    ]
    return lines


def _penalty_globals(config: Config) -> list[str]:
    """Each trained topic's penalty range, and everyone's for a caller without a topic, read by the queue's
    first step (PENALTIES_GLOBAL): one step for every topic, where an ExecIf a topic took a step each."""
    plan = penalty_plan(config)
    return [f"{PENALTIES_GLOBAL}{topic}={_penalty_assignments(plan, topic or None)}" for topic in ("", *sorted(plan.ranges))]


def _penalty_assignments(plan: PenaltyPlan, topic: str | None) -> str:
    """A topic's penalty range as MSet's arguments (every position's for None)."""
    return ",".join(f"{k}={v}" for k, v in plan.variables(topic).items())


def _max_wait(config: Config) -> list[str]:
    """Nobody rings on forever: at waiting.max_wait_seconds the caller hears what to do next (the call-back
    was offered while it waited, bereik.pbx.virtual_hold), and the call ends."""
    message = PromptLibrary(Path(), config.language).sound_name(max_wait_text(config))
    return [f" same => n(too_long),Playback({message})", " same => n,Hangup()"]


def _waiting_contexts(config: Config) -> list[str]:
    lines = [
        f"[{WHISPER_CONTEXT}]",
        "; A waiting caller's companion (the exten is the caller's uniqueid), started by bereik's call file when it",
        "; first has something to say to the caller: bereik plays its messages here.",
        "exten => _X.,1,Answer()",
        f" same => n,AGI(agi://{config.pbx.agi}/{WHISPER_SCRIPT})",
        " same => n,Hangup()",
        "",
    ]
    if config.waiting.callback_key and config.pbx.trunk:
        lines += _callback_contexts(config)
    return lines


def _callback_contexts(config: Config) -> list[str]:
    """The call-back that keeps a waiting caller's place (bereik.pbx.virtual_hold).

    The caller confirmed its number: bereik took it out of the queue (QueueWithdrawCaller), and here a
    stand-in joins at its place at once (the dialplan's own Originate: bereik's AMI user may not start
    calls), before the caller hears the goodbye. When the stand-in's turn comes and an agent answers, the
    stand-in's other half asks bereik whom to call and rings the caller (the agent hears it ring)."""
    # Only digits and identifiers: ^ and ) would end Originate's v() option early.
    stand_in = "^".join(f"{name}=${{{source}}}" for name, source in (
        (var.CALLBACK, "EXTEN"), (var.CALLBACK_FOR, "CALLERID(num)"), (var.TOPIC, var.STAND_IN_TOPIC),
        (var.POSITION, var.POSITION), (var.QUEUED_AT, var.QUEUED_AT), (var.CHOICE, var.CHOICE)))
    return [
        f"[{CALLBACK_LEFT_CONTEXT}]",
        "exten => _X!,1,Originate(Local/${EXTEN}@" + CALLBACK_HOLD_CONTEXT + ",exten," + CALLBACK_OUT_CONTEXT
        + f",${{EXTEN}},1,{STAND_IN_SECONDS},av({stand_in}))",
        f" same => n,Playback({SOUND_SUBDIR}/${{FILTER(0-9a-f,${{QUEUE_WITHDRAW_INFO}})}})",
        " same => n,Hangup()",
        "",
        f"[{CALLBACK_HOLD_CONTEXT}]",
        "; A stand-in: the number it calls back as its caller ID, so that the agent's phone shows whom.",
        f"exten => _X!,1,Set(CHANNEL(language)={config.language})",
        f" same => n,Set(CALLERID(num)=${{FILTER(0-9+,${{{var.CALLBACK_FOR}}})}})",
        f" same => n,Set(CALLERID(name)={member_name(_STAND_IN_NAME[config.language])})",
        f" same => n,Set({var.STAND_IN}=1)",
        f" same => n,Goto({QUEUE_CONTEXT},{config.front_office},1)",
        "",
        f"[{CALLBACK_OWNER_CONTEXT}]",
        "; A note dialled from the console (a call file): the owner's own phone rings first, showing the number",
        "; it will call; once answered, the call file's other half rings the caller (bereik-callback-out).",
        f"exten => _X!,1,Set(CALLERID(num)=${{FILTER(0-9+,${{{var.CALLBACK_FOR}}})}})",
        f" same => n,Set(CALLERID(name)={member_name(_STAND_IN_NAME[config.language])})",
        f" same => n,Dial(PJSIP/${{FILTER(0-9,${{{var.OWNER}}})}},${{{var.RING_SECONDS}}})",
        # Not answered: the caller is never rung; the note hears of it here (answered: bereik-callback-out tells).
        f' same => n,ExecIf($["${{DIALSTATUS}}" != "ANSWER"]?UserEvent({CALLBACK_EVENT},Attempt: ${{{var.ATTEMPT}}},'
        "First: ${DIALSTATUS},Status: ,Talk: ))",
        " same => n,Hangup()",
        "",
        f"[{CALLBACK_OUT_CONTEXT}]",
        "; The phone rung first answered: bereik says whom to call (FastAGI), then the caller's phone rings.",
        f"exten => _X!,1,Set(CHANNEL(hangup_handler_push)={CALLBACK_OUT_CONTEXT},report,1)",
        # BEREIK_ATTEMPT stays: a note dialled from the console brings its attempt along.
        f" same => n,MSet({var.ROUTED}=,{var.DIAL_NUMBER}=)",
        *_hand_over(config, "callback", "${EXTEN}"),
        f' same => n,GotoIf($["${{{var.ROUTED}}}" != "1"]?done)',
        _dial_callback_number(),
        " same => n(done),Hangup()",
        "; How the call-back went, for the note: told once the call-back's leg hangs up.",
        f"exten => report,1,UserEvent({CALLBACK_EVENT},Attempt: ${{{var.ATTEMPT}}},First: ANSWER,"
        "Status: ${DIALSTATUS},Talk: ${ANSWEREDTIME_MS})",
        " same => n,Return()",
        "exten => T,1,Hangup()",
        "",
    ]


CALLBACK_EVENT = "BereikCallback"  # the UserEvent that tells how a call-back went
_STAND_IN_NAME = {"nl": "Terugbellen", "en": "Call-back"}


def _dial_callback_number() -> str:
    """The one line that rings a caller back. A dial string is never taken from a variable: only digits
    (and a leading +) of the number bereik gave over FastAGI, through the class of service."""
    return f" same => n,{_dial_out(f'${{FILTER(0-9+,${{{var.DIAL_NUMBER}}})}}', f'${{{var.RING_SECONDS}}}', 'r')}"


def _direct_numbers(config: Config) -> list[str]:
    numbers = [d.number for d in config.departments if d.number] + [p.direct for p in config.people if p.direct]
    if not numbers:
        return []
    return ["; Direct numbers of people and departments.", *[line for number in numbers for line in (
        f"exten => {number},1,Set({var.ORIGIN}={Origin.OUTSIDE})",
        f" same => n,Goto({DIRECT_CONTEXT},{number},1)",
    )]]


def _outgoing_number(config: Config, person: Person) -> str:
    """The number a colleague's calls out show: their department's, so call-backs reach the department."""
    department = config.department_of(person.extension)
    return (department.caller_id or department.number or config.number) if department else config.number


def _calls_from_mobiles(config: Config) -> list[str]:
    """A colleague's mobile calling through the trunk (the operator's fixed-mobile integration routes its
    calls to the PBX) calls out again showing the department's number. Matched on the calling number, which
    only a trunk that vouches for it makes safe: hence back_office.mobile_dial_out, off by default."""
    people = [p for p in config.people if p.mobile]
    if not (config.back_office.mobile_dial_out and config.pbx.trunk and people):
        return []
    lines = ["; Calls out from colleagues' mobiles (back_office.mobile_dial_out), showing the department's number."]
    for person in people:
        national = person.mobile if person.mobile.startswith("0") else None
        international = "+31" + person.mobile[1:] if national else person.mobile
        for calling in filter(None, (national, international)):
            for dialled in ("_0X.", "_+X."):
                lines += [
                    f"exten => {dialled}/{calling},1,Gosub({FROM_MOBILE},s,1({person.extension},"
                    f"{_outgoing_number(config, person)},${{FILTER(0-9+,${{EXTEN}})}}))",
                    " same => n,Hangup()",
                ]
    return lines


def _from_mobile_context(config: Config) -> list[str]:
    if not (config.back_office.mobile_dial_out and config.pbx.trunk and any(p.mobile for p in config.people)):
        return []
    return [
        f"[{FROM_MOBILE}]",
        "; ARG1 the colleague's extension, ARG2 the number shown, ARG3 the number dialled (digits only).",
        "exten => s,1,Set(CALLERID(num)=${ARG2})",
        f" same => n,Set(GROUP({MOBILE_CONTEXT})=${{ARG1}})",
        f" same => n,Set(DEVICE_STATE({MOBILE_DEVICE.format(extension='${ARG1}')})=INUSE)",
        f" same => n,Set(CHANNEL(hangup_handler_push)={MOBILE_ENDED},s,1(${{ARG1}}))",
        f" same => n,{_dial_out('${ARG3}', 120)}",
        " same => n,Return()",
        "",
    ]


def _internal_back_office(config: Config) -> list[str]:
    lines = [line for person in config.people for line in (
        f"exten => {person.extension},1,Set({var.ORIGIN}={Origin.INSIDE})",
        f" same => n,Goto({DIRECT_CONTEXT},{person.extension},1)",
    )]
    if config.people:
        lines += [
            f"; Directed pickup: {PICKUP_CODE}<extension> answers that colleague's ringing phone "
            f"({PICKUP_CODE} alone, the department's, is answered by chan_pjsip itself).",
            f"exten => _{PICKUP_CODE}X.,1,PickupChan(PJSIP/${{FILTER(0-9,${{EXTEN:{len(PICKUP_CODE)}}})}})",
            " same => n,Hangup()",
        ]
    return lines


def _hints(config: Config, positions: list[str]) -> list[str]:
    """Busy lamps: a front-office position shows its phone; a colleague their desk, their mobile as the PBX
    sees it, and whether calls reach the desk, with the reason as presence (bereik.pbx.hints)."""
    lines = ["; Busy lamps (BLF): subscribe to <extension>@" + INTERNAL_CONTEXT]
    lines += [f"exten => {ext},hint,PJSIP/{ext}" for ext in positions]
    lines += [f"exten => {p.extension},hint,PJSIP/{p.extension}&{MOBILE_DEVICE.format(extension=p.extension)}"
              f"&{AWAY_DEVICE.format(extension=p.extension)},{PRESENCE.format(extension=p.extension)}"
              for p in config.people]
    if config.people:
        lines += ["; Feature codes: forwarding and do-not-disturb from the desk phone (bereik.routing.features).",
                  *[f"exten => {pattern},1,Goto({FEATURES_CONTEXT},${{EXTEN}},1)" for pattern in DIALPLAN_PATTERNS]]
    return lines


def _features_context(config: Config) -> list[str]:
    """bereik changes the forward and says so; the phone's own endpoint names the person, never its caller ID.
    Without bereik nothing changes, and the person hears that it did not work."""
    if not config.people:
        return []
    failed = f" same => n,Playback({PromptLibrary(Path(), config.language).sound_name(feature_text(config, 'failed'))})"
    return [
        f"[{FEATURES_CONTEXT}]",
        "exten => _[*#].,1,Answer()",
        f" same => n,MSet({var.ROUTED}=)",
        *_hand_over(config, "features", "${CHANNEL(endpoint)}"),
        f' same => n,GotoIf($["${{{var.ROUTED}}}" = "1"]?done)',
        failed,
        " same => n(done),Hangup()",
        "exten => T,1,Set(TIMEOUT(absolute)=0)",
        f' same => n,ExecIf($["${{{var.ROUTED}}}" != "1"]?{failed.split(",", 1)[1]})',
        " same => n,Hangup()",
        "",
    ]


def _mobile_contexts(config: Config) -> list[str]:
    """Each person's own mobile, rung for them through the trunk: the number is the YAML's, never one bereik
    hands over. Custom:bereik-mobile-<extension> follows it (ringing, in use, free) for presence and the
    busy lamps; GROUP counts the person's mobile calls, so the first to end does not free a mobile still in use."""
    people = [p for p in config.people if p.mobile]
    if not config.pbx.trunk or not people:
        return []
    device = MOBILE_DEVICE.format(extension="${ARG1}")
    lines = [f"[{MOBILE_CONTEXT}]"]
    for person in people:
        ext = person.extension
        lines += [
            f"exten => {ext},1,Set(GROUP({MOBILE_CONTEXT})={ext})",
            f" same => n,Set(CHANNEL(hangup_handler_push)={MOBILE_ENDED},s,1({ext}))",
            f" same => n,Set(DEVICE_STATE({MOBILE_DEVICE.format(extension=ext)})=RINGING)",
            # The caller's Dial() decides how long it rings; U(): in use from the moment the mobile answers.
            f" same => n,{_dial_out(person.mobile, options=f'U({MOBILE_ANSWERED}^{ext})')}",
            " same => n,Hangup()",
        ]
    return [
        *lines, "",
        f"[{MOBILE_ANSWERED}]",
        f"exten => s,1,Set(DEVICE_STATE({device})=INUSE)",
        " same => n,Return()",
        "",
        f"[{MOBILE_ENDED}]",
        f"exten => s,1,ExecIf($[${{GROUP_COUNT(${{ARG1}}@{MOBILE_CONTEXT})}} <= 1]?Set(DEVICE_STATE({device})=NOT_INUSE))",
        " same => n,Return()",
        "",
    ]




def _outbound(config: Config) -> list[str]:
    """The class of service as dialplan: the allowed patterns dial the trunk, everything else is refused
    with cause 21 (SIP 403). A desk phone reaches it through bereik-phone-out, bereik's forwards by Goto."""
    policy = OutboundPolicy.from_config(config)
    lines = [
        f"[{OUTBOUND_CONTEXT}]",
        "; The class of service (outbound: in the YAML, bereik.routing.outbound): the only way to the trunk.",
        "exten => _+31X.,1,Goto(0${EXTEN:3},1)",
        "exten => _+X.,1,Goto(00${EXTEN:1},1)",
    ]
    if config.pbx.trunk:
        for pattern, kind in policy.allowed_patterns():
            lines += [f"exten => {_exten(pattern)},1,NoOp(bereik out: {kind})",
                      f" same => n,Dial(PJSIP/${{EXTEN}}@{TRUNK_ENDPOINT},60)",
                      " same => n,Hangup()"]
    lines += [
        # Only the first digits in the log: the rest is personal data.
        "exten => _X.,1,Log(NOTICE,bereik: ${EXTEN:0:4}... refused by the class of service)",
        " same => n,Hangup(21)",
        "",
        f"[{PHONE_OUT_CONTEXT}]",
        # Call-backs show the department's number (Haarlem lost callers to the KCC's own number).
        "; A desk phone calls out, showing its department's number. A caller from outside moved here",
        "; (AMI Redirect) is refused: only the municipality's own phones and transfers call out.",
        "exten => _[+0-9].,1,GotoIf($[\"${CHANNEL(channeltype)}\" != \"PJSIP\"]?out)",
        f' same => n,ExecIf($["${{CHANNEL(endpoint)}}" = "{TRUNK_ENDPOINT}"]?Hangup(21))',
        f" same => n(out),Set(CALLERID(num)=${{IF($[\"${{{var.OUTGOING_ID}}}\" != \"\"]"
        f"?${{{var.OUTGOING_ID}}}:{config.number})}})",
        f" same => n,Goto({OUTBOUND_CONTEXT},${{EXTEN}},1)",
    ]
    return lines


def _exten(pattern: str) -> str:
    return pattern if pattern.isdigit() else f"_{pattern}"


def _phone_out(config: Config) -> list[str]:
    """What a desk phone dials that may leave the building: every number starting 0 or +, 112, the 14-numbers
    and numbers listed in outbound.allow; all through the class of service, refused ones included (403)."""
    policy = OutboundPolicy.from_config(config)
    patterns = dict.fromkeys(["0X.", "+X.", *(p for p, _ in policy.allowed_patterns() if not p.startswith("0"))])
    return ["; Calls out: through bereik-phone-out and the class of service.",
            *[f"exten => {_exten(p)},1,Goto({PHONE_OUT_CONTEXT},${{EXTEN}},1)" for p in patterns]]


def _direct_context(config: Config) -> list[str]:
    """A call to one colleague: bereik decides each step, the dialplan carries it out.

    bereik is asked at the start, after ringing and after waiting behind a call; it
    leaves its stage on the channel so that a hang-up in between is recorded too.
    """
    if not config.people:
        return []
    front_office = config.front_office
    ring_seconds = config.back_office.rings * SECONDS_PER_RING
    return [
        f"[{DIRECT_CONTEXT}]",
        "exten => _X.,1,NoOp(bereik direct call)",
        f" same => n,Set(CALLERID(name)=${{FILTER({_SAFE_NAME_CHARS},${{CALLERID(name)}})}})",
        " same => n,Set(CALLERID(num)=${FILTER(0-9+*#,${CALLERID(num)})})",
        # Answered at once: the caller hears Asterisk's Dutch ring tone, the offer and the message.
        " same => n,Answer()",
        f" same => n,Set({var.DIALLED}=${{EXTEN}})",
        f" same => n,Set({var.EVENT}=start)",
        f" same => n(ask),MSet({','.join(f'{name}=' for name in var.DIRECT_OUTPUTS)})",
        *_hand_over(config, "direct", f"${{{var.EVENT}}}"),
        f' same => n(routed),GotoIf($["${{{var.ROUTED}}}" != "1"]?failopen)',
        f' same => n,GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_RING}"]?ring)',
        f' same => n,GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_CAMP}"]?camp)',
        f' same => n,GotoIf($["${{{var.ACTION}}}" = "{var.ACTION_QUEUE}"]?{QUEUE_CONTEXT},${{{var.QUEUE}}},1)',
        " same => n,Hangup()",
        # g: back here after the colleague hangs up, so that bereik records the answered call.
        # Asterisk's own clock around the ringing: DIALEDTIME is empty when nobody answers.
        f" same => n(ring),Set({var.DIAL_BEGAN}={_NOW})",
        # Only what bereik rings: desk phones, and people's own mobiles through bereik-mobile (the YAML's
        # numbers). A dial string set by anyone else (AMI Setvar) is not dialled.
        f'    same => n,GotoIf($[${{REGEX("{_RINGABLE}" ${{{var.DIAL}}})}}]?dial:rang)'.replace("    same", " same"),
        f" same => n(dial),Dial(${{{var.DIAL}}},${{{var.RING_SECONDS}}},g)",
        f" same => n(rang),MSet({var.EVENT}=rang,{var.DIAL_ENDED}={_NOW})",
        " same => n,Goto(ask)",
        # Camp-on: a one-member queue rings the colleague the moment their line frees (ringinuse=no).
        f" same => n(camp),Queue(${{{var.CAMP_QUEUE}}},rc,,,${{{var.CAMP_SECONDS}}})",
        f" same => n,Set({var.EVENT}=waited)",
        " same => n,Goto(ask)",
        # Fail open: a citizen reaches the front office, a colleague rings the extension.
        *_fell_through("failopen-${AGISTATUS}", label="(failopen)"),
        f' same => n,GotoIf($["${{{var.ORIGIN}}}" = "{Origin.INSIDE}"]?inside)',
        f" same => n,Goto({FAILOPEN_CONTEXT},{front_office},1)",
        f" same => n(inside),Dial(PJSIP/${{EXTEN}},{ring_seconds})",
        " same => n,Hangup()",
        "; The watchdog expired in a hand-over: carry out a decision already made, else the front office.",
        "exten => T,1,Set(TIMEOUT(absolute)=0)",
        f' same => n,GotoIf($["${{{var.ROUTED}}}" = "1"]?${{{var.DIALLED}}},routed)',
        *_fell_through("watchdog"),
        f" same => n,Goto({FAILOPEN_CONTEXT},{front_office},1)",
        "; The caller hung up while the colleague's phone rang or while waiting behind their call: record it.",
        f'exten => h,1,GotoIf($["${{{var.DIRECT_STAGE}}}" != "{Stage.RINGING}" & '
        f'"${{{var.DIRECT_STAGE}}}" != "{Stage.CAMPED}"]?done)',
        # A hung-up channel must not send "HANGUP" into the FastAGI conversation.
        f" same => n,MSet(AGISIGHUP=no,{var.DIAL_ENDED}={_NOW})",
        *_hand_over(config, "direct", "hungup", watchdog=False),
        " same => n(done),NoOp()",
        "",
    ]


_NOW = "${STRFTIME(,,%s.%3q)}"  # epoch seconds with milliseconds


def member_name(name: str) -> str:
    """An agent's name as queues.conf (and so AMI's MemberName) has it: commas and parentheses separate fields there."""
    return re.sub(r"[^\w .'-]", "", name).strip() or "agent"


def _queues(config: Config) -> str:
    agents = {agent.extension: agent.name for agent in config.agents}
    lines = [
        "[general]",
        "persistentmembers=no",
        "shared_lastcall=yes",
        # Asterisk's default (no) serves only the head caller: a topic caller behind one who waits for another
        # topic's agent would never reach its own free agents.
        "autofill=yes",
        "",
    ]
    for queue in config.queues:
        lines += [
            f"[{queue.id}]",
            f"; {queue.name}",
            "strategy=rrmemory",
            f"timeout={AGENT_RING_SECONDS}",
            "retry=1",
            *_QUEUE_COMMON,
            "servicelevel=20",
            # waiting.wrapup_seconds, kept by Asterisk itself: the next call waits for the agent's wrap-up.
            f"wrapuptime={config.waiting.wrapup_seconds}",
        ]
        slots = {}
        if queue.id == config.front_office:
            slots = penalty_plan(config).slots
        for position in queue.positions:
            penalty = OVERFLOW_PENALTY if position.overflow else slots.get(position.extension, 0)
            name = member_name(agents.get(position.extension, f"positie {position.extension}"))
            lines.append(f"member => PJSIP/{position.extension},{penalty},{name},PJSIP/{position.extension}")
        lines.append("")
    return "\n".join(lines + _camp_queues(config))


# No setqueuevar, setqueueentryvar or setinterfacevar where nothing reads them: each sets 2-10 channel variables a
# caller, and every variable set is work for Asterisk's one AMI thread, which sets how many calls a second it takes
# (bench call_paths: 20 of a queued caller's 43 variable sets were setqueuevar's).
_QUEUE_COMMON = [
    "ringinuse=no",
    "joinempty=yes",
    "leavewhenempty=no",
    # bereik makes its own announcements; app_queue's start at once and speak a moving average.
    "announce-frequency=0",
    "announce-holdtime=no",
    "announce-position=no",
    "periodic-announce-frequency=0",
]


def _camp_queues(config: Config) -> list[str]:
    """One queue per colleague for camp-on: chan_pjsip offers no CCSS (Asterisk's call completion)."""
    lines = []
    for person in config.people:
        lines += [
            f"[{CAMP_QUEUE_PREFIX}{person.extension}]",
            f"; Callers waiting behind {member_name(person.name)}'s call",
            "strategy=ringall",
            f"timeout={config.back_office.rings * SECONDS_PER_RING}",
            "retry=1",
            # ringinuse=no (common): rung only when the line is free again, which makes it camp-on.
            *_QUEUE_COMMON,
            "setinterfacevar=yes",  # MEMBERINTERFACE: the waiting caller was put through (bereik.pbx.direct)
            f"member => PJSIP/{person.extension},0,{member_name(person.name)},PJSIP/{person.extension}",
            "",
        ]
    return lines


_ENDPOINT_DEFAULTS = [
    "disallow=all",
    "allow=alaw,ulaw",
    "dtmf_mode=rfc4733",
    # Media through Asterisk: transfer by DTMF, recording and whispering need it.
    "direct_media=no",
    "rtp_symmetric=yes",
]


def _pjsip(config: Config, secrets: Secrets) -> str:
    host, port = _host_port(config.pbx.sip_bind)
    agents = {agent.extension: agent.name for agent in config.agents}
    lines = [
        "[global]",
        "type=global",
        "user_agent=bereik",
        "",
        "[transport-udp]",
        "type=transport",
        "protocol=udp",
        f"bind={host}:{port}",
        "",
    ]
    if config.pbx.trunk:
        trunk_host, trunk_port = _host_port(config.pbx.trunk)
        lines += [
            f"[{TRUNK_ENDPOINT}]",
            "type=endpoint",
            f"context={INBOUND_CONTEXT}",
            # By its address only: a request that merely says From: trunk is not the trunk.
            "identify_by=ip",
            f"language={config.language}",
            *_ENDPOINT_DEFAULTS,
            f"aors={TRUNK_ENDPOINT}",
            "",
            f"[{TRUNK_ENDPOINT}]",
            "type=aor",
            f"contact=sip:{trunk_host}:{trunk_port}",
            "",
            f"[{TRUNK_ENDPOINT}]",
            "type=identify",
            f"endpoint={TRUNK_ENDPOINT}",
            f"match={trunk_host}",
            "",
        ]
    for queue in config.queues:
        for position in queue.positions:
            name = member_name(agents.get(position.extension, f"positie {position.extension}"))
            lines += _phone(position, name, secrets, config.language)
    for person in config.people:
        lines += _phone(person, member_name(person.name), secrets, config.language, _back_office_phone(config, person))
    return "\n".join(lines)


def _back_office_phone(config: Config, person: Person) -> list[str]:
    department = config.department_of(person.extension)
    if department is None:
        return []
    # Group pickup: *8 answers a ringing phone of one's own department.
    lines = [f"named_pickup_group={department.id}", f"named_call_group={department.id}"]
    caller_id = department.caller_id or department.number
    if caller_id:
        lines.append(f"set_var={var.OUTGOING_ID}={caller_id}")
    return lines


def _phone(position: Position | Person, name: str, secrets: Secrets, language: str,
           extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Every desk phone authenticates with SIP digest (its own password, bereik.secrets.Secrets.phone); a phone
    with an address is also pinned to it (identified by that address only), one without registers."""
    ext = position.extension
    endpoint = [
        f"[{ext}]",
        "type=endpoint",
        f"context={INTERNAL_CONTEXT}",
        f"language={language}",
        *_ENDPOINT_DEFAULTS,
        f"aors={ext}",
        f"auth={ext}",
        f'callerid="{name}" <{ext}>',
        *(extra or ["named_call_group=" + ext]),
    ]
    auth = [f"[{ext}]", "type=auth", "auth_type=userpass", f"username={ext}", f"password={secrets.phone(ext)}", ""]
    if position.address:
        return [
            *endpoint, "identify_by=ip", "",
            f"[{ext}]", "type=aor", f"contact=sip:{ext}@{position.address}:5060", "",
            f"[{ext}]", "type=identify", f"endpoint={ext}", f"match={position.address}", "",
            *auth,
        ]
    return [
        *endpoint, "identify_by=username,auth_username", "",
        f"[{ext}]", "type=aor", "max_contacts=1", "remove_existing=yes", "",
        *auth,
    ]


def _manager(config: Config, secrets: Secrets) -> str:
    host, port = _host_port(config.pbx.ami)
    return "\n".join([
        "[general]",
        "enabled=yes",
        f"port={port}",
        f"bindaddr={host}",
        "displayconnects=no",
        "timestampevents=yes",
        "authtimeout=10",
        "authlimit=20",
        # The screen-pop's and call-backs' variables, joined in one (bereik.pbx.variables.IN_AMI_EVENTS_FUNCTION).
        f"channelvars={var.IN_AMI_EVENTS_FUNCTION}",
        f"disabledevents={','.join(events.NOT_GENERATED)}",
        "",
        f"[{AMI_USER}]",
        f"secret={secrets.get(AMI_SECRET)}",
        "deny=0.0.0.0/0.0.0.0",
        # The bereik beside this server (on this machine or its own), the fall-back bereiks, and those beside
        # the other servers (their wallboards and stand-by records).
        *[f"permit={address}/255.255.255.255" for address in dict.fromkeys(
            [host, *(_host_port(agi)[0] for agi in (config.pbx.agi, *config.pbx.agi_fallback)),
             *(_host_port(peer.agi)[0] for peer in config.peers())])],
        # Least privilege: write `call` only. No originate (Originate can dial any channel, the trunk
        # included), no agent (QueueAdd makes any dial string a queue member); never system, command or
        # config. The whisper needs neither (bereik.pbx.whisper), nor do pauses (bereik.pbx.members).
        # dtmf: the call-back key of a caller waiting in the queue, which app_queue itself ignores.
        "read=call,agent,user,dtmf",
        "write=call",
        "writetimeout=1000",
        *[f"eventfilter(name({name}))=" for name in sorted(events.CONSUMED)],
        "",
    ])


def _stasis() -> str:
    return "\n".join(["[declined_message_types]", *(f"decline={name}" for name in sorted(events.NOT_PUBLISHED)), ""])


_MODULES = """[modules]
autoload=yes
noload => chan_dahdi.so
; Debian ships three voicemail modules registering the same applications.
noload => app_voicemail_imap.so
noload => app_voicemail_odbc.so
noload => res_hep.so
noload => res_hep_pjsip.so
noload => res_hep_rtcp.so
noload => chan_iax2.so
noload => res_ari.so
noload => res_http_websocket.so
noload => cdr_radius.so
noload => cel_radius.so
noload => res_config_ldap.so
noload => res_phoneprov.so
noload => res_pjsip_phoneprov_provider.so
"""

# bereik's call records are the record of every call, with their retention; a CDR would be a second copy of every
# caller's number without one. And the CDR engine reads every change of every channel (34 tasks a call on bereik's
# path, counted with `core show taskprocessors`: docs/benchmarks.md), for nothing when nobody writes its records.
_CDR = """[general]
enable=no
"""

_INDICATIONS = """[general]
country=nl

[nl]
description = Netherlands
ringcadence = 1000,4000
dial = 425
busy = 425/500,0/500
ring = 425/1000,0/4000
congestion = 425/250,0/250
callwaiting = 425/500,0/9500
dialrecall = 425/500!,0/50!,425
record = 1400/500,0/15000
info = 950/330,1400/330,1800/330,0/1000
stutter = 425/500,0/50
"""

_RTP = """[general]
rtpstart=10000
rtpend=20000
; Strict RTP learns a call's media source from its sequence numbers alone: a loaded host reads packets in bursts,
; which the timing check refuses, and the caller's first key was lost (e2e runs ci55, ci65).
strictrtp=seqno
; No STUN/ICE lookups: they stall calls on a machine without DNS.
icesupport=no
"""

_FEATURES = f"""[general]
transferdigittimeout=3
pickupexten={PICKUP_CODE}
atxfercomplete={ATXFER_COMPLETE_CODE}

[featuremap]
atxfer={ATXFER_CODE}
automixmon={RECORD_CODE}
"""

_MUSICONHOLD = """[default]
mode=files
directory=moh
"""

_LOGGER = """[general]
dateformat=%F %T.%3q

[logfiles]
console => notice,warning,error,verbose(3)
messages => notice,warning,error
"""
