"""A journey told in a sentence or two, as the caller experienced it (Dutch or English)."""
from __future__ import annotations

import datetime as dt

from bereik import facts as f
from bereik.calllog import mask_number
from bereik.records.journey import Journey

_WORDS = {
    "nl": {
        "called": "{who} belde {dialled} om {time}.",
        "municipality": "Gemeente {name}",
        "choice": "menukeuze {choice} ({topic})",
        "no_choice": "geen geldige menukeuze: algemene wachtrij",
        "queued": "In de wachtrij '{queue}' na {seconds} s, positie {position}.",
        "queued_untold": "In de wachtrij '{queue}' na {seconds} s.",
        "answered_by": "Opgenomen door {agent} na {seconds} s wachten.",
        "answered_by_untold": "Opgenomen door {agent}.",
        "abandoned": "Opgehangen in de wachtrij na {seconds} s wachten.",
        "abandoned_untold": "Opgehangen in de wachtrij.",
        "an_agent": "een medewerker",
        "closed": "Gesloten ({reason}): het sluitingsbericht gehoord, na {seconds} s opgehangen.",
        "failopen": "bereik was niet bereikbaar; de centrale stuurde de beller toch door",
        "failopen_closed": "bereik was niet bereikbaar en het kantoor gesloten; de centrale speelde zelf het "
                           "sluitingsbericht",
        "watchdog": "bereik reageerde niet; de centrale stuurde de beller na de wachttijd door",
        "forwarded": "Doorgeschakeld naar {to}.",
        "put_through": "Doorverbonden met {organisation} ({to}).",
        "not_reached": "{organisation} {failed}; terug naar de eigen wachtrij.",
        "other_municipality": "De gemeente {name}",
        "failed_busy": "was in gesprek", "failed_noanswer": "nam niet op", "failed_unavailable": "was niet bereikbaar",
        "ended": "Einde gesprek na {seconds} s.",
        "caller": "Beller {number}",
        "anonymous": "Een anonieme beller",
        "outside_hours": "buiten de openingstijden",
        "holiday": "feestdag",
        "closing_day": "extra sluitingsdag",
        "calamity": "calamiteit: de lijnen waren gesloten",
    },
    "en": {
        "called": "{who} called {dialled} at {time}.",
        "municipality": "Municipality {name}",
        "choice": "menu choice {choice} ({topic})",
        "no_choice": "no valid menu choice: general queue",
        "queued": "Joined queue '{queue}' after {seconds} s, position {position}.",
        "queued_untold": "Joined queue '{queue}' after {seconds} s.",
        "answered_by": "Answered by {agent} after {seconds} s waiting.",
        "answered_by_untold": "Answered by {agent}.",
        "abandoned": "Hung up in the queue after {seconds} s waiting.",
        "abandoned_untold": "Hung up in the queue.",
        "an_agent": "an agent",
        "closed": "Closed ({reason}): heard the closing message, hung up after {seconds} s.",
        "failopen": "bereik was unreachable; the PBX sent the caller on anyway",
        "failopen_closed": "bereik was unreachable and the office closed; the PBX played the closing message itself",
        "watchdog": "bereik did not respond; the PBX sent the caller on after the watchdog time",
        "forwarded": "Forwarded to {to}.",
        "put_through": "Put through to {organisation} ({to}).",
        "not_reached": "{organisation} {failed}; back to our own queue.",
        "other_municipality": "The municipality of {name}",
        "failed_busy": "was busy", "failed_noanswer": "did not answer", "failed_unavailable": "could not be reached",
        "ended": "Call ended after {seconds} s.",
        "caller": "Caller {number}",
        "anonymous": "An anonymous caller",
        "outside_hours": "outside opening hours",
        "holiday": "public holiday",
        "closing_day": "extra closing day",
        "calamity": "calamity: the lines were closed",
    },
}


def describe(journey: Journey, language: str = "nl") -> str:
    words = _WORDS[language]
    entered = journey.first("entered")
    start = entered.at if entered else 0.0
    time = dt.datetime.fromtimestamp(start).strftime("%H:%M:%S")
    who = words["caller"].format(number=mask_number(journey.caller_number)) if journey.caller_number \
        else words["anonymous"]
    sentences = [words["called"].format(who=who, dialled=journey.dialled, time=time)]

    labels = journey.labels
    reason = labels.get(f.REASON, "")
    told = []
    if labels.get(f.MUNICIPALITY):
        told.append(words["municipality"].format(name=labels[f.MUNICIPALITY]))
    organisation = labels.get(f.ORGANISATION, "")
    if labels.get(f.CHOICE):
        told.append(words["choice"].format(choice=labels[f.CHOICE], topic=organisation or labels.get(f.TOPIC, "")))
    elif reason == "no_choice":
        told.append(words["no_choice"])
    elif reason.endswith(f.CLOSED_BY_PBX):
        told.append(words["failopen_closed"])
    elif reason.startswith("failopen"):
        told.append(words["failopen"])
    elif reason == "watchdog":
        told.append(words["watchdog"])
    if told:
        sentences.append(", ".join(told) + ".")

    # A journey rebuilt from Asterisk's CEL log lacks what only AMI tells (position, hold time, agent's name).
    for step in journey.steps:
        seconds = f"{step.at - start:.1f}"
        detail = step.detail
        if step.what == "queued" and (tried := _put_through_to(labels, words)) and journey.first("forwarded"):
            failed = words.get(f"failed_{labels.get(f.FAILED, '')}", words["failed_unavailable"])
            sentences.append(words["not_reached"].format(organisation=tried, failed=failed))
        if step.what == "queued":
            position = detail.get("position")
            sentences.append(words["queued" if position else "queued_untold"].format(
                queue=detail.get("queue", "?"), seconds=seconds, position=position))
        elif step.what == "agent_answered":
            agent = detail.get("agent") or detail.get("interface") or words["an_agent"]
            held = detail.get("hold_seconds")
            sentences.append(words["answered_by" if held else "answered_by_untold"].format(agent=agent, seconds=held))
        elif step.what == "abandoned":
            held = detail.get("hold_seconds")
            sentences.append(words["abandoned" if held else "abandoned_untold"].format(seconds=held))
        elif step.what == "forwarded" and organisation:
            sentences.append(words["put_through"].format(organisation=organisation, to=detail.get("to", "?")))
        elif step.what == "forwarded":
            sentences.append(words["forwarded"].format(to=detail.get("to", "?")))
        elif step.what == "hung_up":
            if reason.endswith(f.CLOSED_BY_PBX):
                sentences.append(words["ended"].format(seconds=seconds))
            elif reason in ("outside_hours", "holiday", "closing_day", "calamity"):
                sentences.append(words["closed"].format(reason=words[reason], seconds=seconds))
            else:
                sentences.append(words["ended"].format(seconds=seconds))
    return " ".join(sentences)


def _put_through_to(labels: dict[str, str], words: dict[str, str]) -> str:
    """Whom the caller was put through to outside: a menu option's organisation or another municipality."""
    if labels.get(f.REASON) == f.OTHER_MUNICIPALITY and labels.get(f.MUNICIPALITY):
        return words["other_municipality"].format(name=labels[f.MUNICIPALITY])
    return labels.get(f.ORGANISATION, "")
