"""Every sentence the call flow can say for a configuration, to render ahead of calls."""
from __future__ import annotations

import datetime as dt

from bereik.config.model import WEEKDAYS, Config
from bereik.ivr.phrases import (
    BACK_OFFICE_TEXTS,
    FEATURE_TEXTS,
    FIXED_FEATURE_TEXTS,
    back_office_text,
    feature_text,
    fill,
    next_opening_phrase,
    other_municipality_text,
    outside_text,
    recording_notice,
)
from bereik.ivr.wait_message import all_wait_messages
from bereik.routing import failopen
from bereik.routing.appointment_offer import fixed_texts
from bereik.routing.calamity import Mode, default_text
from bereik.routing.virtual_hold import offer_text, read_back_parts
from bereik.routing.waiting import max_wait_text, waiting_settings


def spoken_texts(config: Config) -> list[str]:
    # "closed" and the back-office texts have per-call placeholders, filled in below.
    per_call = {"closed", *BACK_OFFICE_TEXTS[config.language], *FEATURE_TEXTS[config.language]}
    texts = [fill(config, text) for key, text in config.texts.items() if key not in per_call]
    if config.menu:
        texts += [option.text for option in config.menu.options]
        texts += [outside_text(config, key, option.organisation) for option in config.menu.options if option.outside
                  for key in ("put_through", "not_reached")]
    if config.shared_number:  # the dialplan's fallback when another municipality does not answer
        texts += [other_municipality_text(config, "not_reached", other.name) for other in config.shared_number.others]
    if "closed" in config.texts:
        texts += [fill(config, config.texts["closed"], next_opening=phrase) for phrase in _next_opening_phrases(config)]
    names = [p.name for p in config.people] + [d.name for d in config.departments if d.number]
    texts += [back_office_text(config, key, name) for name in names for key in ("camp_on_offer", "not_reachable")]
    texts += callback_texts(config)
    if config.people:  # what a colleague hears after a feature code on their desk phone
        texts += [feature_text(config, key) for key in FIXED_FEATURE_TEXTS]
        texts += [feature_text(config, key, name=p.name) for p in config.people
                  for key in ("calls_to_colleague", "callers_to_colleague")]
    texts += [notice] if (notice := recording_notice(config)) else []
    # The calamity switch's messages as a desk phone sets them (the screen's own words render when set).
    texts += [default_text(config, mode) for mode in Mode]
    texts.append(max_wait_text(config))
    if "closed" in config.texts:  # what the dialplan plays on its own, bereik down and the office closed
        texts += failopen.texts(config, dt.datetime.now(config.zone).date())
    return list(dict.fromkeys(texts))


def whispered_texts(config: Config) -> list[str]:
    """Every message a caller waiting for the front office can hear (rendered louder, over the ring tone):
    each waiting message without and with the call-back offer, and the call-back's read-back."""
    offer = offer_text(config)
    camp_on = [back_office_text(config, "camp_on_waiting", person.name) for person in config.people]
    messages = all_wait_messages(waiting_settings(config))
    with_offer = [f"{message} {offer}" for message in messages] if offer else []
    read_back = [*read_back_parts(config, "0123456789"), config.waiting.callback_no_number] if offer else []
    times = fixed_texts(config) if offer else []  # the appointment offer after the confirmation
    return list(dict.fromkeys([*messages, *with_offer, *read_back, *times, *camp_on]))


def callback_texts(config: Config) -> list[str]:
    """What the call-back can make a caller hear through bereik's FastAGI: a planned call-back at the
    entry, the offer after the closing message, its read-back and confirmation, the appointment offer's fixed
    sentences."""
    waiting = config.waiting
    if not waiting.callback_key:
        return []
    texts = [waiting.callback_already_planned, waiting.callback_confirmed]
    if waiting.callback_after_hours:
        texts += [offer_text(config, after_hours=True), *read_back_parts(config, "0123456789")]
        texts += [waiting.callback_after_hours_confirmed.replace("{next_opening}", phrase)
                  for phrase in _next_opening_phrases(config)]
    return [*texts, *fixed_texts(config)]


def _next_opening_phrases(config: Config) -> list[str]:
    """'vandaag/morgen/op maandag om ...' for every opening time; rarer dates are rendered when needed."""
    zone = config.zone
    monday = dt.datetime(2024, 1, 1, tzinfo=zone)  # any Monday will do
    phrases = []
    for weekday in range(len(WEEKDAYS)):
        for start, _ in config.hours.periods(weekday):
            opening = dt.datetime.combine(monday.date() + dt.timedelta(days=weekday), start, tzinfo=zone)
            for days_before in range(7):
                now = opening - dt.timedelta(days=days_before, hours=1)
                phrases.append(next_opening_phrase(opening, now, zone, config.language))
    return list(dict.fromkeys(phrases))
