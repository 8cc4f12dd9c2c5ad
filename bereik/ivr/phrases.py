"""Sentences that depend on the call: the next opening time, placeholders in texts."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bereik.config.model import Config

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli",
           "augustus", "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"),
}
_WORDS = {
    "nl": {"today": "vandaag", "tomorrow": "morgen", "at": "om", "on": "op", "unknown": "op een later moment"},
    "en": {"today": "today", "tomorrow": "tomorrow", "at": "at", "on": "on", "unknown": "at a later time"},
}


def fill(config: Config, template: str, **values: str) -> str:
    """A text from the YAML with its placeholders filled in."""
    known = {"municipality": config.municipality, "website": config.website, "next_opening": ""}
    return template.format(**(known | values))


def clock_time(moment: dt.datetime, language: str) -> str:
    """'8 uur 30' / '8:30 a.m.': written so that text-to-speech says it right."""
    if language == "nl":
        return f"{moment.hour} uur" if moment.minute == 0 else f"{moment.hour} uur {moment.minute}"
    return moment.strftime("%-I:%M %p").replace("AM", "a.m.").replace("PM", "p.m.")


def next_opening_phrase(opening: dt.datetime | None, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """When the caller can call again, as a person would say it: 'morgen om 8 uur 30'."""
    words = _WORDS[language]
    if opening is None:
        return words["unknown"]
    opening, today = opening.astimezone(zone), now.astimezone(zone).date()
    days_ahead = (opening.date() - today).days
    if days_ahead == 0:
        day = words["today"]
    elif days_ahead == 1:
        day = words["tomorrow"]
    elif days_ahead < 7:
        day = f"{words['on']} {_WEEKDAYS[language][opening.weekday()]}"
    else:
        weekday, month = _WEEKDAYS[language][opening.weekday()], _MONTHS[language][opening.month - 1]
        day = f"{words['on']} {weekday} {opening.day} {month}"
    return f"{day} {words['at']} {clock_time(opening, language)}"



def day_time_phrase(moment: dt.datetime, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """A time to come as a menu says it: 'dinsdag 10 uur 30', 'morgen 14 uur', 'dinsdag 8 december 9 uur'."""
    local = moment.astimezone(zone)
    days_ahead = (local.date() - now.astimezone(zone).date()).days
    if days_ahead == 0:
        day = _WORDS[language]["today"]
    elif days_ahead == 1:
        day = _WORDS[language]["tomorrow"]
    elif days_ahead < 7:
        day = _WEEKDAYS[language][local.weekday()]
    else:
        day = f"{_WEEKDAYS[language][local.weekday()]} {local.day} {_MONTHS[language][local.month - 1]}"
    return f"{day} {clock_time(local, language)}"

# What a caller to the back office hears, unless the YAML's texts: say otherwise.
BACK_OFFICE_TEXTS = {
    "nl": {
        "absent_until": "{name} is afwezig tot {until}.",
        "absent": "{name} is afwezig.",
        "to_substitute": "U wordt doorverbonden met de vervanger, {substitute}.",
        "to_front_office": "U wordt doorverbonden met ons klantcontactcentrum.",
        "not_reachable": "{name} is niet bereikbaar. U wordt doorverbonden met ons klantcontactcentrum.",
        "camp_on_offer": "{name} is in gesprek. Wilt u wachten tot het gesprek voorbij is, toets 1. "
                         "Wilt u ons klantcontactcentrum spreken, toets 2.",
        "camp_on_waiting": "{name} is nog in gesprek. Blijft u aan de lijn: zodra het gesprek voorbij is, "
                           "gaat de telefoon bij {name} over.",
    },
    "en": {
        "absent_until": "{name} is away until {until}.",
        "absent": "{name} is away.",
        "to_substitute": "We are putting you through to the substitute, {substitute}.",
        "to_front_office": "We are putting you through to our contact centre.",
        "not_reachable": "{name} cannot take your call. We are putting you through to our contact centre.",
        "camp_on_offer": "{name} is on the phone. To wait until the call is over, press 1. "
                         "To speak to our contact centre, press 2.",
        "camp_on_waiting": "{name} is still on the phone. Please hold: as soon as the call is over, "
                           "{name}'s phone will ring.",
    },
}


def back_office_text(config: Config, key: str, name: str = "", **values: str) -> str:
    template = config.texts.get(key) or BACK_OFFICE_TEXTS[config.language][key]
    return fill(config, template, name=name, **values)


# What a colleague hears after dialling a feature code on their desk phone (bereik.routing.features).
FEATURE_TEXTS = {
    "nl": {
        "forward_on": "Doorschakelen staat aan.",
        "forward_off": "Doorschakelen staat uit.",
        "dnd_on": "Niet storen staat aan.",
        "dnd_off": "Niet storen staat uit.",
        "calls_here": "Uw gesprekken komen binnen op dit toestel.",
        "calls_here_and_mobile": "Uw gesprekken komen binnen op dit toestel en op uw mobiel.",
        "calls_to_mobile": "Uw gesprekken gaan naar uw mobiele nummer.",
        "calls_to_colleague": "Uw gesprekken gaan naar {name}.",
        "dnd_effect": "Bellers gaan direct naar het klantcontactcentrum.",
        "absent_registered_until": "Let op: u bent afwezig gemeld tot {until}.",
        "absent_registered": "Let op: u bent afwezig gemeld.",
        "absent_outlook_until": "Let op: uw automatisch antwoord in Outlook staat aan tot {until}.",
        "absent_outlook": "Let op: uw automatisch antwoord in Outlook staat aan.",
        "callers_to_colleague": "Bellers gaan naar {name}.",
        "callers_to_front_office": "Bellers gaan naar het klantcontactcentrum.",
        "refused_number": "Dat nummer kan niet. Toets het toestelnummer van een collega of uw eigen mobiele nummer.",
        "refused_policy": "Dat kan niet: uw afdeling staat dat doorschakelen niet toe.",
        "refused_hop": "Dat kan niet: {name} schakelt zelf door of wordt doorgeschakeld. Kies een collega die er is.",
        "refused_no_substitute": "U heeft geen vaste vervanger. Toets sterretje 21 sterretje, het toestelnummer "
                                 "van een collega en hekje.",
        "not_for_this_phone": "Op dit toestel kunt u niet doorschakelen.",
        "failed": "Dat is niet gelukt. Probeer het later opnieuw.",
        "calamity_pin": "Toets de pincode voor de calamiteitenmelding, gevolgd door een hekje.",
        "calamity_wrong_pin": "Die pincode klopt niet.",
        "calamity_locked": "Te vaak een onjuiste pincode. Probeer het over een kwartier opnieuw.",
        "calamity_choice": "Voor een melding vóór het keuzemenu, toets 1. Om de lijnen te sluiten met een melding, "
                           "toets 2. Om de calamiteit te beëindigen, toets 0.",
        "calamity_message_on": "De melding vóór het keuzemenu staat aan tot middernacht. Bellers horen:",
        "calamity_closed_on": "De lijnen zijn gesloten tot middernacht. Bellers horen:",
        "calamity_off": "De calamiteit is beëindigd. Bellers horen weer het gewone menu.",
        "calamity_not_set_up": "De calamiteitenmelding kan niet vanaf een toestel: er is geen pincode ingesteld.",
    },
    "en": {
        "forward_on": "Call forwarding is on.",
        "forward_off": "Call forwarding is off.",
        "dnd_on": "Do not disturb is on.",
        "dnd_off": "Do not disturb is off.",
        "calls_here": "Your calls ring on this phone.",
        "calls_here_and_mobile": "Your calls ring on this phone and on your mobile.",
        "calls_to_mobile": "Your calls go to your mobile number.",
        "calls_to_colleague": "Your calls go to {name}.",
        "dnd_effect": "Callers go straight to the contact centre.",
        "absent_registered_until": "Please note: you are registered as away until {until}.",
        "absent_registered": "Please note: you are registered as away.",
        "absent_outlook_until": "Please note: your automatic reply in Outlook is on until {until}.",
        "absent_outlook": "Please note: your automatic reply in Outlook is on.",
        "callers_to_colleague": "Callers go to {name}.",
        "callers_to_front_office": "Callers go to the contact centre.",
        "refused_number": "That number cannot be used. Dial a colleague's extension or your own mobile number.",
        "refused_policy": "That is not possible: your department does not allow that forward.",
        "refused_hop": "That is not possible: {name} forwards or is forwarded to. Choose a colleague who is in.",
        "refused_no_substitute": "You have no standing substitute. Dial star 21 star, a colleague's extension "
                                 "and hash.",
        "not_for_this_phone": "This phone cannot forward its calls.",
        "failed": "That did not work. Please try again later.",
        "calamity_pin": "Enter the PIN for the calamity message, followed by hash.",
        "calamity_wrong_pin": "That PIN is not right.",
        "calamity_locked": "Too many wrong PINs. Please try again in a quarter of an hour.",
        "calamity_choice": "For a message before the menu, press 1. To close the lines with a message, press 2. "
                           "To end the calamity, press 0.",
        "calamity_message_on": "The message before the menu is on until midnight. Callers hear:",
        "calamity_closed_on": "The lines are closed until midnight. Callers hear:",
        "calamity_off": "The calamity has ended. Callers hear the usual menu again.",
        "calamity_not_set_up": "The calamity message cannot be set from a phone: no PIN has been set.",
    },
}
# The feature texts that name nobody, rendered ahead by `bereik prompts`.
FIXED_FEATURE_TEXTS = tuple(key for key, text in FEATURE_TEXTS["nl"].items() if "{" not in text)


def feature_text(config: Config, key: str, **values: str) -> str:
    return fill(config, FEATURE_TEXTS[config.language][key], **values)


# Someone back at this hour or earlier is back "on Monday", not "on Monday at 8".
_BACK_IN_THE_MORNING = dt.time(9, 0)


def until_phrase(until: dt.datetime, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """When an absence ends, as a person would say it: '13 uur', 'morgen', 'maandag 8 december'."""
    until, today = until.astimezone(zone), now.astimezone(zone).date()
    clock = "" if until.time() <= _BACK_IN_THE_MORNING else clock_time(until, language)
    days_ahead = (until.date() - today).days
    if days_ahead <= 0:
        return clock_time(until, language)
    if days_ahead == 1:
        day = _WORDS[language]["tomorrow"]
    else:
        day = f"{_WEEKDAYS[language][until.weekday()]} {until.day} {_MONTHS[language][until.month - 1]}"
    return f"{day} {clock}".strip()


def absence_sentence(config: Config, name: str, until: dt.datetime | None, now: dt.datetime,
                     substitute: str | None, onward: bool = True) -> str:
    """What a caller to an absent colleague hears, once, before going to the substitute or the front office:
    'Eva Smit is afwezig tot maandag 8 december. U wordt doorverbonden met de vervanger, Jan de Boer.'
    `onward=False`: only the first sentence (a colleague's internal call, which ends there)."""
    first = back_office_text(config, "absent_until", name, until=until_phrase(until, now, config.zone, config.language)) \
        if until is not None else back_office_text(config, "absent", name)
    if not onward:
        return first
    second = back_office_text(config, "to_substitute", substitute=substitute) if substitute else \
        back_office_text(config, "to_front_office")
    return f"{first} {second}"


# Told before the menu when privacy.recording_announcement is on; texts.recording_notice overrides it.
RECORDING_NOTICE = {
    "nl": "Gesprekken kunnen worden opgenomen voor training en coaching.",
    "en": "Calls may be recorded for training and coaching.",
}


# A menu option that puts the caller through to an outside organisation (bereik.routing.flow.PutThrough), or
# another municipality on a shared 14 number (Forward): said before the call goes out, and by the dialplan when
# the organisation does not answer. other_municipality: how that municipality is named in these sentences.
OUTSIDE_TEXTS = {
    "nl": {"put_through": "U wordt doorverbonden met {organisation}.",
           "not_reached": "{organisation} is nu niet bereikbaar. Een medewerker van de gemeente helpt u verder.",
           "other_municipality": "De gemeente {organisation}"},
    "en": {"put_through": "You are being put through to {organisation}.",
           "not_reached": "{organisation} cannot be reached now. One of the municipality's staff will help you.",
           "other_municipality": "The municipality of {organisation}"},
}


def outside_text(config: Config, key: str, organisation: str) -> str:
    return fill(config, OUTSIDE_TEXTS[config.language][key], organisation=organisation)


def other_municipality_text(config: Config, key: str, municipality: str) -> str:
    """An outside sentence about another municipality on the shared 14 number: 'De gemeente Heemstede is ...'."""
    return outside_text(config, key, outside_text(config, "other_municipality", municipality))


def recording_notice(config: Config) -> str | None:
    """What every caller of our own municipality hears before the menu, or None when the YAML turns it off."""
    if not config.privacy.recording_announcement:
        return None
    return fill(config, config.texts.get("recording_notice") or RECORDING_NOTICE[config.language])
