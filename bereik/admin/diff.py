"""What a change to the YAML will do, in words an administrator understands.

`changes(old, new)` walks the two configurations generically: models field by
field, lists of models matched by their identity (id, key, extension, login,
date), lists of plain values as sets, dictionaries by key. Every difference
becomes one sentence. The parts administrators care about most (menu options
moving, opening hours, closing days, spoken texts, positions, agents, people,
departments) have their own wording; any other section, including one added
to the model later, still gets a plain sentence from the generic walk.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bereik.config.model import WEEKDAYS, Config, MenuOption

IDENTITIES = ("id", "key", "extension", "login", "date")
Path = tuple[Any, ...]  # field names, and (identity field, value) for an item of a list


@dataclass(frozen=True)
class Change:
    path: str  # where in the YAML, e.g. "menu.options[key=2].text"
    text: str  # the sentence for the administrator
    rerender: bool = False  # a spoken text: `bereik prompts` renders it again

    def __str__(self) -> str:
        return self.text


# Sentences, by name; {placeholders} filled per change.
WORDS: dict[str, dict[str, str]] = {
    "changed": {"nl": "{label}: {old} wordt {new}", "en": "{label}: {old} becomes {new}"},
    "added": {"nl": "{label} toegevoegd: {new}", "en": "{label} added: {new}"},
    "removed": {"nl": "{label} verwijderd: {old}", "en": "{label} removed: {old}"},
    "set_added": {"nl": "{label}: {new} erbij", "en": "{label}: {new} added"},
    "set_removed": {"nl": "{label}: {old} eraf", "en": "{label}: {old} removed"},
    "order": {"nl": "{label}: de volgorde verandert ({old} wordt {new})",
              "en": "{label}: the order changes ({old} becomes {new})"},
    "option_moves": {"nl": "Menukeuze '{topic}' verhuist van toets {old} naar toets {new}",
                     "en": "Menu option '{topic}' moves from key {old} to key {new}"},
    "option_topic": {"nl": "Toets {key} in het menu krijgt een ander onderwerp: '{old}' wordt '{new}'",
                     "en": "Key {key} in the menu gets another topic: '{old}' becomes '{new}'"},
    "option_added": {"nl": "Nieuwe menukeuze: toets {key} voor '{topic}'",
                     "en": "New menu option: key {key} for '{topic}'"},
    "option_removed": {"nl": "Menukeuze verdwijnt: toets {key} voor '{topic}'",
                       "en": "Menu option removed: key {key} for '{topic}'"},
    "option_queue": {"nl": "Menukeuze '{topic}' gaat naar wachtrij {new} in plaats van {old}",
                     "en": "Menu option '{topic}' goes to queue {new} instead of {old}"},
    "option_text": {"nl": "de tekst van menukeuze '{topic}'", "en": "the text of menu option '{topic}'"},
    # A menu option that puts callers through to an outside organisation (forward_to, organisation).
    "outside_added": {"nl": "Nieuwe menukeuze: toets {key} verbindt door met {organisation} ({number})",
                      "en": "New menu option: key {key} puts callers through to {organisation} ({number})"},
    "outside_number": {"nl": "Menukeuze '{topic}' verbindt voortaan door naar {new} in plaats van {old}",
                       "en": "Menu option '{topic}' now puts callers through to {new} instead of {old}"},
    "becomes_outside": {"nl": "Toets {key} in het menu verbindt voortaan door met {organisation} ({number}) in plaats "
                              "van '{old}'",
                        "en": "Key {key} in the menu now puts callers through to {organisation} ({number}) instead "
                              "of '{old}'"},
    "becomes_queue": {"nl": "Toets {key} in het menu gaat voortaan naar '{new}' in plaats van door te verbinden met "
                            "{old}",
                      "en": "Key {key} in the menu now goes to '{new}' instead of putting callers through to {old}"},
    "menu_added": {"nl": "Er komt een keuzemenu met {count} keuzes", "en": "A menu with {count} options is added"},
    "menu_removed": {"nl": "Het keuzemenu verdwijnt: elke beller gaat direct naar de wachtrij",
                     "en": "The menu is removed: every caller goes straight to the queue"},
    "text": {"nl": "{label} verandert (wordt opnieuw ingesproken): \"{old}\" wordt \"{new}\"",
             "en": "{label} changes (will be re-rendered): \"{old}\" becomes \"{new}\""},
    "text_added": {"nl": "{label} komt erbij (wordt ingesproken): \"{new}\"",
                   "en": "{label} is added (will be rendered): \"{new}\""},
    "text_removed": {"nl": "{label} verdwijnt: \"{old}\"", "en": "{label} is removed: \"{old}\""},
    "hours": {"nl": "Openingstijden op {day}: {old} wordt {new}", "en": "Opening hours on {day}: {old} become {new}"},
    "closed": {"nl": "gesloten", "en": "closed"},
    "closing_added": {"nl": "Extra sluitingsdag: {date}{reason}", "en": "Extra closing day: {date}{reason}"},
    "closing_removed": {"nl": "Geen sluitingsdag meer: {date}{reason}", "en": "No longer a closing day: {date}{reason}"},
    "open_on_added": {"nl": "Open op de feestdag {new}", "en": "Open on the public holiday {new}"},
    "open_on_removed": {"nl": "Niet meer open op de feestdag {old}", "en": "No longer open on the public holiday {old}"},
    "position_added": {"nl": "Wachtrij {queue}: positie {extension} komt erbij{overflow}",
                       "en": "Queue {queue}: position {extension} is added{overflow}"},
    "position_removed": {"nl": "Wachtrij {queue}: positie {extension} verdwijnt",
                         "en": "Queue {queue}: position {extension} is removed"},
    "peak": {"nl": " (alleen bij drukte)", "en": " (peaks only)"},
    "overflow_on": {"nl": "Wachtrij {queue}: positie {extension} wordt alleen bij drukte bemand",
                    "en": "Queue {queue}: position {extension} becomes a peak-only position"},
    "overflow_off": {"nl": "Wachtrij {queue}: positie {extension} wordt altijd bemand",
                     "en": "Queue {queue}: position {extension} becomes a normally staffed position"},
    "agent_added": {"nl": "Medewerker {who} komt erbij", "en": "Agent {who} is added"},
    "agent_removed": {"nl": "Medewerker {who} verdwijnt", "en": "Agent {who} is removed"},
    "agent_topics": {"nl": "Medewerker {who} neemt voortaan {new} aan (was {old})",
                     "en": "Agent {who} now takes {new} (was {old})"},
    "person_added": {"nl": "Collega {who} komt erbij", "en": "Colleague {who} is added"},
    "person_removed": {"nl": "Collega {who} verdwijnt", "en": "Colleague {who} is removed"},
    "substitute": {"nl": "{who} krijgt een andere vervanger bij afwezigheid: {old} wordt {new}",
                   "en": "{who} gets another substitute when absent: {old} becomes {new}"},
    "answered_by": {"nl": "Het nummer van afdeling {department} gaat over bij {new} in plaats van {old}; "
                          "niet opgenomen gaat naar de {front_office}",
                    "en": "Department {department}'s number rings {new} instead of {old}; "
                          "unanswered calls go to the {front_office}"},
    "department_added": {"nl": "Afdeling {department} komt erbij", "en": "Department {department} is added"},
    "department_removed": {"nl": "Afdeling {department} verdwijnt", "en": "Department {department} is removed"},
    "member_added": {"nl": "{who} hoort voortaan bij afdeling {department}",
                     "en": "{who} joins department {department}"},
    "member_removed": {"nl": "{who} hoort niet meer bij afdeling {department}",
                       "en": "{who} leaves department {department}"},
    "nothing": {"nl": "Geen verschillen.", "en": "No differences."},
    "none": {"nl": "(geen)", "en": "(none)"},
}

# Every field and text name as an administrator says it, (Dutch, English); a test holds that no YAML
# name is left without one, so `bereik diff` never shows a key name.
NAMES: dict[str, tuple[str, str]] = {
    # the municipality
    "version": ("versie van het bestandsformaat", "file format version"),
    "municipality": ("gemeente", "municipality"), "number": ("nummer", "number"), "language": ("taal", "language"),
    "general_numbers": ("algemene nummers", "general numbers"),
    "timezone": ("tijdzone", "time zone"), "website": ("website", "website"),
    "shared_number": ("gedeeld 14-nummer", "shared 14 number"),
    "our_key": ("toets voor onze gemeente", "key for our municipality"),
    "others": ("andere gemeenten", "other municipalities"), "forward_to": ("doorverbinden naar", "put through to"), "organisation": ("organisatie", "organisation"),
    "key": ("toets", "key"), "name": ("naam", "name"),
    # hours and holidays
    "hours": ("openingstijden", "opening hours"), "monday": ("maandag", "Monday"), "tuesday": ("dinsdag", "Tuesday"),
    "wednesday": ("woensdag", "Wednesday"), "thursday": ("donderdag", "Thursday"), "friday": ("vrijdag", "Friday"),
    "saturday": ("zaterdag", "Saturday"), "sunday": ("zondag", "Sunday"),
    "holidays": ("feestdagen", "public holidays"), "country": ("land", "country"),
    "open_on": ("open op feestdagen", "open on public holidays"), "extra_closed": ("sluitingsdagen", "closing days"),
    "date": ("datum", "date"), "reason": ("reden", "reason"),
    # texts
    "texts": ("", ""), "welcome": ("welkomsttekst", "welcome"),  # a text is named by its own name
    "municipality_choice": ("keuze van de gemeente", "choice of municipality"),
    "menu_intro": ("inleiding van het menu", "menu introduction"),
    "invalid_choice": ("tekst bij een onbekende toets", "text after an unknown key"),
    "closed": ("tekst buiten openingstijden", "closing message"),
    "not_reachable": ("tekst als een collega niet opneemt", "text when a colleague does not answer"),
    "camp_on_offer": ("aanbod om achter een gesprek te wachten", "offer to wait behind a call"),
    "camp_on_waiting": ("tekst tijdens het wachten achter een gesprek", "text while waiting behind a call"),
    "recording_notice": ("melding dat gesprekken worden opgenomen", "notice that calls are recorded"),
    "absent_until": ("tekst als een collega afwezig is tot een moment", "text when a colleague is away until then"),
    "absent": ("tekst als een collega afwezig is", "text when a colleague is away"),
    "to_substitute": ("tekst bij doorverbinden met de vervanger", "text when putting through to the substitute"),
    "to_front_office": ("tekst bij doorverbinden met de frontoffice", "text when putting through to the front office"),
    # the menu
    "menu": ("menu", "menu"), "retries": ("aantal herhalingen", "repetitions"),
    "wait_for_key": ("seconden wachten op een toets", "seconds to wait for a key"),
    "options": ("menukeuzes", "menu options"), "topic": ("onderwerp", "topic"), "text": ("tekst", "text"),
    "queue": ("wachtrij", "queue"),
    # queues and agents
    "front_office": ("frontoffice-wachtrij", "front-office queue"), "queues": ("wachtrij", "queue"),
    "id": ("id", "id"), "topics": ("onderwerpen", "topics"), "positions": ("posities", "positions"),
    "extension": ("toestel", "extension"), "overflow": ("piekpositie", "peak position"),
    "address": ("adres", "address"), "agents": ("medewerker", "agent"),
    # the back office
    "people": ("collega", "colleague"), "direct": ("direct nummer", "direct number"),
    "mobile": ("mobiel nummer", "mobile number"), "substitute": ("vervanger", "substitute"),
    "departments": ("afdeling", "department"), "answered_by": ("opgenomen door", "answered by"),
    "members": ("leden", "members"), "caller_id": ("getoond nummer bij terugbellen", "number shown on call-backs"),
    "forwarding": ("doorschakelen bij afwezigheid naar", "absence forwarding to"),
    "back_office": ("backoffice", "back office"),
    "rings": ("aantal belsignalen voor de terugval naar de frontoffice", "rings before falling back to the front office"),
    "camp_on_seconds": ("seconden wachten achter een gesprek", "seconds a caller may wait behind a call"),
    "forwarding_store": ("bestand met doorschakelingen", "forwarding file"),
    "mobile_dial_out": ("bellen vanaf het mobiele nummer via de centrale", "calls out from the mobile through the PBX"),
    "email": ("mailbox in Outlook", "Outlook mailbox"),
    "ring_mobile": ("vast en mobiel tegelijk laten overgaan", "desk and mobile ring together"),
    # the PBX
    "pbx": ("telefooncentrale", "PBX"), "sip_bind": ("SIP-adres", "SIP address"),
    "agi": ("FastAGI-adres van bereik", "bereik's FastAGI address"),
    "agi_fallback": ("andere bereik-servers als terugval", "other bereik servers to fall back to"),
    "agi_allow": ("adressen die gesprekken aan bereik mogen geven", "addresses allowed to hand calls to bereik"),
    # the class of service
    "outbound": ("toegestane nummers naar buiten", "numbers allowed out"),
    "classes": ("soorten nummers", "kinds of numbers"), "allow": ("ook toegestaan", "also allowed"),
    "ami": ("AMI-adres", "AMI address"), "trunk": ("trunk naar het telefoonnet", "trunk to the telephone network"),
    "watchdog_seconds": ("seconden voordat de centrale zelf naar de frontoffice verbindt",
                         "seconds before the PBX itself sends a caller to the front office"),
    "servers": ("servers", "servers"), "server": ("server", "server"),
    "asterisk_cel": ("gebeurtenissenlog van Asterisk", "Asterisk's event log"),
    # records and reports
    "records": ("gespreksgegevens", "call records"), "store": ("opslag", "store"),
    "retention_days": ("bewaartermijn (dagen)", "retention (days)"),
    "spool": ("wachtmap bij een onbereikbare opslag", "spool while the store is down"),
    "reports": ("rapportages", "reports"), "answer_seconds": ("norm voor opnemen (seconden)", "answer norm (seconds)"),
    "callback_working_days": ("werkdagen om terug te bellen", "working days to call back"),
    "norms": ("normen", "norms"),
    "answered_within_20s": ("aandeel opgenomen binnen 20 s", "share answered within 20 s"),
    "answered_within_norm": ("aandeel opgenomen binnen de norm", "share answered within the norm"),
    "average_speed_of_answer": ("gemiddelde tijd tot opnemen", "average speed of answer"),
    "abandoned": ("aandeel opgehangen in de wachtrij", "share abandoned"),
    "direct_reachability": ("directe bereikbaarheid", "direct reachability"),
    "fallback_share": ("aandeel teruggevallen naar de frontoffice", "share fallen back to the front office"),
    "indirect_reachability": ("indirecte bereikbaarheid", "indirect reachability"),
    "transfer_seconds": ("doorverbindtijd", "transfer time"),
    "wait_after_transfer_seconds": ("wachttijd na doorverbinden", "wait after transfer"),
    "callbacks_on_time": ("aandeel op tijd teruggebeld", "share called back on time"),
    "technical_reachability": ("technische bereikbaarheid", "technical reachability"),
    "successful_contact": ("geslaagde contactpogingen", "successful contact"),
    "repeat_calls": ("herhaalde gesprekken", "repeat calls"),
    "first_contact_resolution": ("direct geholpen (eerste contact)", "first-contact resolution"),
    "mail": ("rapportages per e-mail", "reports by e-mail"),
    "monthly_to": ("maandrapport naar", "monthly report to"),
    "team_leads": ("teamleiders (niet geslaagde pogingen per week)", "team leads (failed attempts weekly)"),
    "console_url": ("adres van de console", "console address"),
    "send_hour": ("uur van verzenden", "hour of sending"),
    "public": ("publieke wachttijd voor de website", "public wait for the website"),
    "grade_bands": ("cijferschaal", "grade bands"), "share": ("voor aandelen", "for shares"),
    "time": ("voor tijden", "for times"),
    # wallboard and console
    "wallboard": ("wandbord", "wallboard"), "listen": ("luisteradres", "listening address"),
    "console": ("console", "console"), "secure_cookies": ("cookies alleen over https", "cookies over https only"),
    "allow_clear_text": ("wachtwoorden onversleuteld (alleen op een gesloten netwerk)",
                         "passwords in clear (a closed network only)"),
    "tls_certificate": ("https-certificaat", "https certificate"), "tls_key": ("sleutel van het https-certificaat",
                                                                          "https certificate's key"),
    "trusted_proxies": ("vertrouwde reverse proxy's", "trusted reverse proxies"),
    "session_minutes": ("sessieduur (minuten)", "session length (minutes)"),
    "login_attempts_per_minute": ("inlogpogingen per minuut", "login attempts per minute"),
    "ldap_url": ("LDAP-server voor inloggen", "LDAP server for logins"),
    "ldap_start_tls": ("LDAP met StartTLS", "LDAP with StartTLS"),
    "ldap_ca_file": ("CA-certificaat voor LDAP", "CA certificate for LDAP"),
    "ldap_user_dn": ("LDAP-naam van een gebruiker", "LDAP name of a user"),
    "ldap_role_groups": ("LDAP-groepen per rol", "LDAP groups per role"),
    "users": ("gebruiker", "user"), "login": ("login", "login"), "role": ("rol", "role"), "team": ("team", "team"),
    "transfer_ring_seconds": ("seconden overgaan bij doorverbinden", "seconds ringing on a transfer"),
    "team_mailboxes": ("teammailboxen", "team mailboxes"), "smtp_host": ("mailserver", "mail server"),
    "smtp_port": ("poort van de mailserver", "mail server port"), "smtp_from": ("afzender van mails", "mail sender"),
    "recordings_dir": ("map met opnames", "recordings folder"),
    "recording_retention_days": ("bewaartermijn opnames (dagen)", "recording retention (days)"),
    "wrap_up_topics": ("onderwerpen bij het afronden van een gesprek", "topics of the wrap-up after a call"),
    "may_pick": ("mag wachtende bellers aannemen uit de lijst", "may take waiting callers from the list"),
    # the municipality's other systems
    "integrations": ("koppelingen met andere systemen", "links with other systems"),
    "webhooks": ("webhook", "webhook"), "url": ("adres", "address"),
    "secret": ("naam van het ondertekengeheim", "name of the signing secret"),
    "events": ("gebeurtenissen", "events"),
    "outbox": ("bestand met nog niet afgeleverde gebeurtenissen", "file of events not yet delivered"),
    "max_attempts": ("pogingen voordat een gebeurtenis niet afgeleverd blijft", "attempts before an event is a dead letter"),
    "screen_pop_link": ("link naar de beller in het klantcontactsysteem", "link to the caller in the contact system"),
    "klantinteracties": ("registratie van klantcontacten (Klantinteracties API)", "contact registration (Klantinteracties API)"),
    "token": ("naam van het API-token", "name of the API token"),
    "wrap_up_seconds": ("seconden wachten op het afronden voor de registratie", "seconds to wait for the wrap-up before registering"),
    # waiting
    "waiting": ("wachten", "waiting"), "first_after_rings": ("belsignalen voor de eerste melding",
                                                              "rings before the first message"),
    "repeat_every_rings": ("belsignalen tussen meldingen", "rings between messages"),
    "mode": ("wat de melding zegt", "what the message says"), "online_hint": ("tip over online regelen",
                                                                                "online hint"),
    "topic_fallback_seconds": ("seconden voordat iedere medewerker een onderwerp mag aannemen",
                               "seconds before any agent may take a topic"),
    "on_callers": ("wachtenden waarbij de piekpositie aansluit", "callers waiting for the peak position to join"),
    "on_wait_seconds": ("wachttijd waarbij de piekpositie aansluit", "wait for the peak position to join"),
    "off_callers": ("wachtenden waarbij de piekpositie mag stoppen", "callers waiting for the peak position to leave"),
    "off_wait_seconds": ("wachttijd waarbij de piekpositie mag stoppen", "wait for the peak position to leave"),
    "min_minutes_on": ("minimale minuten van de piekpositie", "least minutes of the peak position"),
    "wrapup_seconds": ("nawerktijd (seconden)", "wrap-up (seconds)"),
    "callback_key": ("toets voor terugbellen", "call-back key"),
    "callback_offer": ("aanbod om teruggebeld te worden", "call-back offer"),
    "callback_confirmed": ("bevestiging van het terugbellen", "call-back confirmation"),
    "callback_no_number": ("tekst als het nummer onbekend is", "text when the number is hidden"),
    "callback_store": ("bestand met terugbelverzoeken van versie 0.2.0", "call-back file of release 0.2.0"),
    "callback_offer_wait_seconds": ("verwachte wachttijd waarbij terugbellen wordt aangeboden",
                                    "expected wait at which a call-back is offered"),
    "callback_offer_callers_ahead": ("wachtenden voor de beller waarbij terugbellen wordt aangeboden",
                                     "callers ahead at which a call-back is offered"),
    "callback_confirm_key": ("toets die het terugbelnummer bevestigt", "key that confirms the call-back number"),
    "callback_confirm_seconds": ("seconden om het terugbelnummer te bevestigen",
                                 "seconds to confirm the call-back number"),
    "callback_read_back": ("voorlezen van het terugbelnummer", "call-back number read back"),
    "callback_already_planned": ("tekst als terugbellen al gepland is", "text when a call-back is already planned"),
    "callback_after_hours": ("terugbellen aanbieden buiten openingstijden", "call-back offered after hours"),
    "callback_after_hours_offer": ("aanbod om terug te bellen buiten openingstijden", "after-hours call-back offer"),
    "callback_after_hours_confirmed": ("bevestiging van terugbellen buiten openingstijden",
                                       "after-hours call-back confirmation"),
    "callback_ring_seconds": ("seconden dat de beller gebeld wordt", "seconds the caller's phone rings"),
    "call_files": ("map voor uitgaande oproepen van Asterisk", "Asterisk's outgoing call folder"),
    # call-back notes
    "callbacks": ("terugbelnotities", "call-back notes"),
    "answered_seconds": ("seconden waarna een opgenomen terugbelgesprek de notitie sluit",
                         "seconds after which an answered call-back closes the note"),
    "not_reached_attempts": ("onbeantwoorde pogingen voor 'niet bereikt'", "unanswered attempts before 'not reached'"),
    "attempts_apart_minutes": ("minuten tussen die pogingen", "minutes between those attempts"),
    "owner_ring_seconds": ("seconden dat het eigen toestel overgaat", "seconds one's own phone rings"),
    "remind_before_hours": ("werkuren herinnering voor de deadline", "working hours of reminder before the deadline"),
    "close_reasons": ("redenen om een notitie te sluiten", "reasons to close a note"),
    "appointments": ("belafspraken in het keuzemenu", "appointments in the IVR"),
    "department": ("afdeling", "department"), "slots": ("aangeboden tijdstippen", "times offered"),
    "minutes": ("minuten per afspraak", "minutes per appointment"),
    "within_working_days": ("werkdagen vooruit", "working days ahead"),
    "lookup_seconds": ("seconden om de agenda's te lezen", "seconds to read the calendars"),
    "max_wait_seconds": ("langste wachttijd (seconden)", "longest wait (seconds)"),
    "max_wait_message": ("tekst na de langste wachttijd", "text after the longest wait"),
    # waiting.texts, the parts of the waiting message
    "less_than_a_minute": ("wachtmelding 'minder dan een minuut'", "wait message 'less than a minute'"),
    "about_one_minute": ("wachtmelding 'ongeveer een minuut'", "wait message 'about a minute'"),
    "about_minutes": ("wachtmelding 'ongeveer ... minuten'", "wait message 'about ... minutes'"),
    "about_a_quarter": ("wachtmelding 'ongeveer een kwartier'", "wait message 'about a quarter of an hour'"),
    "more_than_a_quarter": ("wachtmelding 'meer dan een kwartier'", "wait message 'more than a quarter'"),
    "expected_wait": ("wachtmelding over de verwachte wachttijd", "expected-wait message"),
    "you_are_next": ("wachtmelding 'u bent de volgende'", "wait message 'you are next'"),
    "one_caller_ahead": ("wachtmelding 'één beller voor u'", "wait message 'one caller ahead'"),
    "callers_ahead": ("wachtmelding over de bellers voor u", "callers-ahead message"),
    "more_callers_ahead": ("wachtmelding 'meer dan ... bellers'", "wait message 'more than ... callers'"),
    # privacy
    "privacy": ("privacy", "privacy"),
    "pseudonymise_after_days": ("nummers gepseudonimiseerd na (dagen)", "numbers pseudonymised after (days)"),
    "callback_note_retention_days": ("bewaartermijn terugbelnotities (dagen)", "call-back note retention (days)"),
    "audit_retention_days": ("bewaartermijn auditlog (dagen)", "audit log retention (days)"),
    "forwarding_retention_days": ("bewaartermijn beëindigde doorschakelingen (dagen)",
                                  "retention of ended forwards (days)"),
    "recording_announcement": ("melding dat gesprekken kunnen worden opgenomen", "recording announcement"),
    # presence
    "presence": ("aanwezigheid in de console", "presence in the console"), "ldap": ("LDAP", "LDAP"),
    "url": ("adres", "address"), "base_dn": ("LDAP-basis", "LDAP base"), "bind_dn": ("LDAP-account", "LDAP account"),
    "filter": ("LDAP-filter", "LDAP filter"), "attributes": ("soort directory", "kind of directory"),
    "start_tls": ("StartTLS", "StartTLS"), "ca_file": ("CA-certificaat", "CA certificate"),
    "page_size": ("regels per pagina", "entries per page"), "refresh_seconds": ("verversen (seconden)",
                                                                                 "refresh (seconds)"),
    "graph": ("Outlook (Microsoft Graph)", "Outlook (Microsoft Graph)"), "tenant": ("tenant", "tenant"),
    "client_id": ("app-registratie", "app registration"), "schedule_mailbox": ("agendamailbox", "schedule mailbox"),
    "authority_url": ("aanmeldadres", "sign-in address"), "graph_url": ("Graph-adres", "Graph address"),
    "absences_store": ("bestand met afwezigheid", "absences file"),
    "device_template": ("toestelnaam in Asterisk", "device name in Asterisk"),
}
LABELS = {lang: {name: words[index] for name, words in NAMES.items()} for index, lang in enumerate(("nl", "en"))}

# Spoken on the telephone: a change means `bereik prompts` renders it again.
SPOKEN = {("texts",), ("menu", "options", "text"), ("waiting", "texts"), ("waiting", "online_hint"),
          ("waiting", "callback_offer"), ("waiting", "callback_confirmed"), ("waiting", "callback_no_number"),
          ("waiting", "callback_read_back"), ("waiting", "callback_already_planned"),
          ("waiting", "callback_after_hours_offer"), ("waiting", "callback_after_hours_confirmed")}


def changes(old: Config, new: Config, lang: str = "nl") -> list[Change]:
    """Every difference between two configurations, one sentence each, in the YAML's order."""
    return _Walk(old, new, lang).run()


def render(found: list[Change], lang: str = "nl") -> str:
    if not found:
        return WORDS["nothing"][lang]
    return "\n".join(f"- {change.text}" for change in found)


class _Walk:
    def __init__(self, old: Config, new: Config, lang: str):
        self.old, self.new, self.lang = old, new, lang
        self.found: list[Change] = []
        # Specific wording, by the path with list items as "*"; each returns True when it said it all.
        self.rules: dict[tuple, Callable[..., bool]] = {
            ("menu",): self._menu,
            ("hours",): self._hours,
            ("holidays", "extra_closed"): self._closing_days,
            ("holidays", "open_on"): self._open_on,
            ("queues", "*", "positions"): self._positions,
            ("agents", "*"): self._agent,
            ("people", "*"): self._person,
            ("departments", "*"): self._department,
        }

    def run(self) -> list[Change]:
        self._walk(self.old, self.new, ())
        return self.found

    # The generic walk

    def _walk(self, old: Any, new: Any, path: Path) -> None:
        if old == new:
            return
        rule = self.rules.get(_pattern(path))
        if rule and rule(old, new, path):
            return
        if isinstance(old, BaseModel) and isinstance(new, BaseModel) and type(old) is type(new):
            for name in type(old).model_fields:
                self._walk(getattr(old, name), getattr(new, name), (*path, name))
        elif isinstance(old, dict) and isinstance(new, dict):
            for key in [*old, *(k for k in new if k not in old)]:
                if key not in new:
                    self._say("removed", path, old=old[key], step=key)
                elif key not in old:
                    self._say("added", path, new=new[key], step=key)
                else:
                    self._walk(old[key], new[key], (*path, key))
        elif isinstance(old, list) and isinstance(new, list) and _identity(old + new):
            self._items(old, new, path, _identity(old + new))
        elif isinstance(old, list) and isinstance(new, list) and _hashable(old + new):
            self._set(old, new, path)
        else:
            self._say("changed", path, old=old, new=new)

    def _items(self, old: list, new: list, path: Path, field: str) -> None:
        before = {getattr(item, field): item for item in old}
        after = {getattr(item, field): item for item in new}
        for ident in [*before, *(i for i in after if i not in before)]:
            step = (field, ident)
            if ident not in after:
                self._added_or_removed("removed", before[ident], (*path, step))
            elif ident not in before:
                self._added_or_removed("added", after[ident], (*path, step))
            else:
                self._walk(before[ident], after[ident], (*path, step))

    def _added_or_removed(self, kind: str, item: Any, path: Path) -> None:
        rule = self.rules.get(_pattern(path))
        old, new = (item, None) if kind == "removed" else (None, item)
        if not (rule and rule(old, new, path)):
            self._say(kind, path[:-1], **{"old" if kind == "removed" else "new": item})

    def _set(self, old: list, new: list, path: Path) -> None:
        gone = [v for v in old if v not in new]
        came = [v for v in new if v not in old]
        if gone:
            self._say("set_removed", path, old=gone)
        if came:
            self._say("set_added", path, new=came)
        if not gone and not came:
            self._say("order", path, old=old, new=new)

    # Specific wording

    def _menu(self, old, new, path) -> bool:
        if old is None or new is None:
            self._emit(path, "menu_removed" if new is None else "menu_added",
                       count=len(new.options) if new else 0)
            return True
        self._walk_except(old, new, path, "options")
        self._options(old.options, new.options, (*path, "options"))
        return True

    def _options(self, old: list[MenuOption], new: list[MenuOption], path: Path) -> None:
        # An option is known by its topic, or by the outside organisation it puts callers through to.
        before = {o.topic or o.organisation: o for o in old}
        after = {o.topic or o.organisation: o for o in new}
        for topic in [t for t in before if t in after]:
            was, now = before[topic], after[topic]
            where = (*path, ("key", now.key))
            if was.key != now.key:
                self._emit(where, "option_moves", topic=topic, old=was.key, new=now.key)
            if was.text != now.text:
                self._text(was.text, now.text, (*where, "text"), self._words("option_text", topic=topic))
            if was.queue != now.queue:
                self._emit(where, "option_queue", topic=topic, old=was.queue or self.old.front_office,
                           new=now.queue or self.new.front_office)
            if was.forward_to != now.forward_to:
                self._emit(where, "outside_number", topic=topic, old=was.forward_to, new=now.forward_to)
        gone = {o.key: o for o in old if (o.topic or o.organisation) not in after}
        came = {o.key: o for o in new if (o.topic or o.organisation) not in before}
        for key in [k for k in gone if k in came]:
            was, now = gone[key], came[key]
            if now.outside:
                self._emit((*path, ("key", key)), "becomes_outside", key=key, old=was.topic or was.organisation,
                           organisation=now.organisation, number=now.forward_to)
            elif was.outside:
                self._emit((*path, ("key", key)), "becomes_queue", key=key, old=was.organisation, new=now.topic)
            else:
                self._emit((*path, ("key", key)), "option_topic", key=key, old=was.topic, new=now.topic)
            if was.text != now.text:
                self._text(was.text, now.text, (*path, ("key", key), "text"),
                           self._words("option_text", topic=now.topic or now.organisation))
        for key in [k for k in gone if k not in came]:
            self._emit((*path, ("key", key)), "option_removed", key=key, topic=gone[key].topic or gone[key].organisation)
        for key in [k for k in came if k not in gone]:
            if came[key].outside:
                self._emit((*path, ("key", key)), "outside_added", key=key, organisation=came[key].organisation,
                           number=came[key].forward_to)
            else:
                self._emit((*path, ("key", key)), "option_added", key=key, topic=came[key].topic)

    def _hours(self, old, new, path) -> bool:
        days = _day_names(self.lang)
        for number, day in enumerate(WEEKDAYS):
            was, now = getattr(old, day), getattr(new, day)
            if was != now:
                self._emit((*path, day), "hours", day=days[number], old=self._periods(was), new=self._periods(now))
        return True

    def _closing_days(self, old, new, path) -> bool:
        before = {d.date: d for d in old}
        after = {d.date: d for d in new}
        for date in sorted(set(before) | set(after)):
            if date not in after or date not in before:
                day = before.get(date) or after[date]
                self._emit((*path, ("date", date)), "closing_removed" if date not in after else "closing_added",
                           date=_date(date, self.lang), reason=f" ({day.reason})" if day.reason else "")
            elif before[date] != after[date]:
                self._walk(before[date], after[date], (*path, ("date", date)))
        return True

    def _open_on(self, old, new, path) -> bool:
        for name in (n for n in old if n not in new):
            self._emit(path, "open_on_removed", old=name)
        for name in (n for n in new if n not in old):
            self._emit(path, "open_on_added", new=name)
        return True

    def _positions(self, old, new, path) -> bool:
        queue = path[-2][1]
        before = {p.extension: p for p in old}
        after = {p.extension: p for p in new}
        for ext in [e for e in before if e not in after]:
            self._emit((*path, ("extension", ext)), "position_removed", queue=queue, extension=ext)
        for ext in [e for e in after if e not in before]:
            peak = WORDS["peak"][self.lang] if after[ext].overflow else ""
            self._emit((*path, ("extension", ext)), "position_added", queue=queue, extension=ext, overflow=peak)
        for ext in [e for e in before if e in after and before[e] != after[e]]:
            where = (*path, ("extension", ext))
            if before[ext].overflow != after[ext].overflow:
                self._emit(where, "overflow_on" if after[ext].overflow else "overflow_off", queue=queue, extension=ext)
            self._walk_except(before[ext], after[ext], where, "overflow")
        return True

    def _agent(self, old, new, path) -> bool:
        if old is None or new is None:
            self._emit(path, "agent_removed" if new is None else "agent_added", who=_who(old or new))
            return True
        if old.topics != new.topics:
            none = WORDS["none"][self.lang]
            self._emit((*path, "topics"), "agent_topics", who=_who(new),
                       old=", ".join(old.topics) or none, new=", ".join(new.topics) or none)
        self._walk_except(old, new, path, "topics")
        return True

    def _person(self, old, new, path) -> bool:
        if old is None or new is None:
            self._emit(path, "person_removed" if new is None else "person_added", who=_who(old or new))
            return True
        if old.substitute != new.substitute:
            self._emit((*path, "substitute"), "substitute", who=_who(new),
                       old=self._extension(old.substitute, self.old), new=self._extension(new.substitute, self.new))
        self._walk_except(old, new, path, "substitute")
        return True

    def _department(self, old, new, path) -> bool:
        if old is None or new is None:
            self._emit(path, "department_removed" if new is None else "department_added",
                       department=(old or new).name)
            return True
        if old.answered_by != new.answered_by:
            self._emit((*path, "answered_by"), "answered_by", department=new.name,
                       old=self._extension(old.answered_by, self.old), new=self._extension(new.answered_by, self.new),
                       front_office=self.new.front_office.upper())
        for ext in (e for e in old.members if e not in new.members):
            self._emit((*path, "members"), "member_removed", department=new.name, who=self._extension(ext, self.old))
        for ext in (e for e in new.members if e not in old.members):
            self._emit((*path, "members"), "member_added", department=new.name, who=self._extension(ext, self.new))
        self._walk_except(old, new, path, "answered_by", "members")
        return True

    # Helpers

    def _walk_except(self, old: BaseModel, new: BaseModel, path: Path, *handled: str) -> None:
        for name in type(old).model_fields:
            if name not in handled:
                self._walk(getattr(old, name), getattr(new, name), (*path, name))

    def _say(self, kind: str, path: Path, old: Any = None, new: Any = None, step: Any = None) -> None:
        where = (*path, step) if step is not None else path
        spoken = _spoken(where)
        if spoken and kind in ("changed", "added", "removed") and isinstance(old or new, str):
            if kind == "changed":
                self._text(old, new, where, self._label(where))
            else:
                self._emit(where, "text_added" if kind == "added" else "text_removed",
                           label=self._label(where), old=old, new=new, rerender=kind == "added")
            return
        self._emit(where, kind, label=self._label(where), old=self._value(old), new=self._value(new))

    def _text(self, old: str, new: str, path: Path, label: str) -> None:
        self._emit(path, "text", label=label, old=old, new=new, rerender=True)

    def _words(self, words: str, **values: Any) -> str:
        return WORDS[words][self.lang].format(**values)

    def _emit(self, path: Path, words: str, rerender: bool = False, **values: Any) -> None:
        text = self._words(words, **values)
        self.found.append(Change(_dotted(path), text[:1].upper() + text[1:], rerender))

    def _label(self, path: Path) -> str:
        labels = LABELS[self.lang]
        parts = []
        for before, step in zip((None, *path), path):
            if isinstance(step, tuple) and before in ("people", "agents") and step[0] == "extension":
                named = [i for i in (*getattr(self.new, before), *getattr(self.old, before)) if i.extension == step[1]]
                parts.append(_who(named[0]) if named else step[1])
            elif isinstance(step, tuple):
                field, value = step
                parts.append(f"{labels.get(field, field) if field == 'key' else ''}"
                             f"{' ' if field == 'key' else ''}{_plain(value, self.lang)}")
            elif isinstance(step, str):
                parts.append(labels.get(step, step))
            else:
                parts.append(str(step))
        return " ".join(part for part in parts if part)

    def _value(self, value: Any) -> str:
        if isinstance(value, BaseModel):
            return _summary(value)
        if isinstance(value, list):
            return ", ".join(self._value(v) for v in value) or WORDS["none"][self.lang]
        if value is None:
            return WORDS["none"][self.lang]
        return _plain(value, self.lang)

    def _periods(self, periods: list[str]) -> str:
        return ", ".join(periods) or WORDS["closed"][self.lang]

    def _extension(self, extension: str | None, config: Config) -> str:
        if extension is None:
            return WORDS["none"][self.lang]
        person = config.person(extension)
        return _who(person) if person else extension


def _pattern(path: Path) -> tuple:
    return tuple("*" if isinstance(step, tuple) else step for step in path)


def _spoken(path: Path) -> bool:
    names = tuple(step for step in path if isinstance(step, str))
    return any(names[: len(prefix)] == prefix for prefix in SPOKEN)


def _identity(items: list) -> str | None:
    if not items or not all(isinstance(i, BaseModel) for i in items):
        return None
    fields = type(items[0]).model_fields
    return next((f for f in IDENTITIES if f in fields), None)


def _hashable(items: list) -> bool:
    return all(isinstance(i, (str, int, float, bool, dt.date)) or i is None for i in items)


def _who(item: Any) -> str:
    return f"{item.name} ({item.extension})"


def _summary(model: BaseModel) -> str:
    if "name" in type(model).model_fields and "extension" in type(model).model_fields:
        return _who(model)
    values = model.model_dump(exclude_defaults=True, mode="json")
    return ", ".join(f"{k}: {v}" for k, v in values.items())


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, dt.date):
        return _date(value, lang)
    if isinstance(value, bool):
        return {("nl", True): "ja", ("nl", False): "nee"}.get((lang, value), str(value).lower())
    return str(value)


def _date(date: dt.date, lang: str) -> str:
    return date.strftime("%d-%m-%Y") if lang == "nl" else date.isoformat()


def _day_names(lang: str) -> tuple[str, ...]:
    if lang == "nl":
        return ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
    return WEEKDAYS


def _dotted(path: Path) -> str:
    text = ""
    for step in path:
        if isinstance(step, tuple):
            text += f"[{step[0]}={_plain(step[1], 'en')}]"
        else:
            text += f".{step}" if text else str(step)
    return text
