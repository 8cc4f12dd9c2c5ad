"""What the console's pages and script say, in Dutch (the default) and English.

The page's texts are rendered by the templates; `js` travels to console.js in a data- attribute
(the CSP allows no inline script). Keyboard shortcuts are listed once, in SHORTCUTS: the page shows
them, the buttons carry them as aria-keyshortcuts, and the script reads them from the page.
"""
from __future__ import annotations

# (button id, key with Alt): Alt, not a single letter, so a shortcut never fires while typing a note
# (WCAG 2.1.4). Alt+D takes over the browser's "address bar" (Ctrl+L still does that).
SHORTCUTS = (("answer", "O"), ("hangup", "H"), ("search", "Z"), ("transfer", "D"), ("complete", "V"), ("cancel", "T"),
             ("wrapup-yes", "J"), ("wrapup-no", "N"))

# Why the desk refused a press, as the agent reads it (the desk and the transfer machine say it in English,
# for the logs).
REFUSALS_NL = {
    "no call to transfer": "Er is geen gesprek om door te verbinden.",
    "not an extension": "Dat is geen toestelnummer.",
    "a transfer is already under way": "Er wordt al doorverbonden.",
    "this transfer has ended": "Dit doorverbinden is al afgelopen.",
    "not calling a colleague": "Er wordt geen collega gebeld.",
    "the colleague has not answered yet; wait, or cancel": "De collega heeft nog niet opgenomen; wacht, of ga terug naar de beller.",
    "no colleague on the line": "Er is geen collega aan de lijn.",
    "no transfer to cancel": "Er is niets om terug te nemen.",
    "no caller on hold": "Er wacht geen beller.",
    "no transfer under way": "Er wordt niet doorverbonden.",
    "no call to hang up": "Er is geen gesprek om op te hangen.",
    "no call ringing": "Er gaat geen gesprek over.",
    "the phone is being told to answer": "Uw toestel neemt al op; lukt dat niet, neem dan de hoorn op.",
    "no call to record": "Er is geen gesprek om op te nemen.",
    "this caller no longer waits": "Deze beller wacht niet meer.",
    "you are in a call": "U bent al in gesprek.",
}

TEXTS = {
    "nl": {"title": "Console", "login": "Inloggen", "user": "Gebruikersnaam", "password": "Wachtwoord",
           "wrong": "Gebruikersnaam of wachtwoord klopt niet.", "slow": "Te veel pogingen; wacht een minuut.",
           "team": "Terugbellen in het team", "switch_code": "en", "switch_name": "English",
           "skip": "Naar het gesprek", "console": "console", "you": "U bent",
           "position": "positie", "logout": "Uitloggen", "h_position": "Positie", "login_position": "Aanmelden",
           "logout_position": "Afmelden", "pause_reason": "Reden van pauze", "r_break": "Pauze",
           "r_meeting": "Overleg", "r_callbacks": "Terugbellen", "r_training": "Training", "pause": "Pauzeren",
           "resume": "Pauze beëindigen", "h_call": "Gesprek", "no_call": "Geen gesprek.",
           "answer": "Opnemen", "hangup": "Ophangen", "record": "Opname starten",
           "h_lookup": "Collega zoeken", "search": "Zoek een collega (naam, afdeling, onderwerp)",
           "search_help": "Pijltjes en Enter kiezen een collega; Doorverbinden belt die collega.",
           "results": "Gevonden collega's", "chosen_none": "Nog geen collega gekozen.",
           "h_transfer": "Doorverbinden (warm)", "transfer": "Doorverbinden",
           "complete": "Doorverbinden voltooien", "cancel": "Terug naar de beller", "h_callback": "Terugbelnotitie",
           "cb_number": "Telefoonnummer", "cb_name": "Naam beller", "cb_for": "Voor (collega)",
           "cb_team": "Team", "cb_question": "Vraag", "cb_send": "Notitie versturen",
           "h_appointment": "Belafspraak met", "ap_find": "Vrije tijden zoeken",
           "my_callbacks": "Mijn terugbelnotities", "h_recordings": "Mijn opnames",
           "team_callbacks": "Terugbelnotities van mijn team", "close_reason": "Reden",
           "h_shortcuts": "Sneltoetsen", "search_shortcut": "of /",
           "h_wrapup": "Afronden", "wrapup_help": "Kies het onderwerp, dan of de beller direct geholpen is.",
           "wrapup_topic": "Onderwerp", "wrapup_resolved": "Direct geholpen?", "yes": "Ja", "no": "Nee",
           "h_history": "Mijn gesprekken vandaag", "h_waiting": "Wachtende bellers",
           "shortcut_names": {"answer": "Opnemen", "hangup": "Ophangen", "search": "Zoek een collega",
                              "transfer": "Doorverbinden naar de gekozen collega",
                              "complete": "Doorverbinden voltooien", "cancel": "Terug naar de beller",
                              "wrapup-yes": "Afronden: direct geholpen", "wrapup-no": "Afronden: niet direct geholpen"},
           "js": {"ringing": "Gaat over", "caller": "Beller", "unknown": "onbekend nummer", "municipality": "Gemeente",
                  "topic": "Keuze", "waited": "Gewacht", "seconds": "s", "minutes": "min", "tried": "Probeerde",
                  "failed_noanswer": "nam niet op", "failed_busy": "was in gesprek",
                  "failed_unavailable": "was niet bereikbaar", "failed_dnd": "stond op niet storen",
                  "failed_camp_timeout": "bleef te lang in gesprek", "failed_": "nam niet op",
                  "forwarded_to": "doorgeschakeld naar", "the_mobile": "de mobiel",
                  "put_through_to": "doorverbonden met",
                  "open_callbacks": "Open terugbelnotities", "earlier": "Eerder gebeld (7 dagen)",
                  "call_ringing": "Gaat over", "call_connected": "In gesprek", "call_ended": "Beëindigd",
                  "call_missed": "Niet opgenomen", "since": "sinds", "at": "om",
                  "title_idle": "Console", "state_ringing": "Collega gaat over; beller hoort wachtmuziek",
                  "state_talking": "In overleg met collega", "state_completed": "Doorverbonden",
                  "state_cancelled": "Terug bij de beller", "state_failed": "Doorverbinden mislukt",
                  "transfer_to": "Doorverbinden naar", "chosen": "Gekozen", "choose": "Kies",
                  "recording_on": "Opname loopt", "recording_off": "Geen opname",
                  "stop_record": "Opname stoppen", "record": "Opname starten", "paused": "Gepauzeerd",
                  "available": "Aangemeld", "logged_out": "Afgemeld", "sent": "Verstuurd", "due": "uiterlijk",
                  "status_open": "open", "status_done": "teruggebeld", "status_late": "te laat",
                  "done": "Afgehandeld", "no_results": "Niemand gevonden", "play": "Opname", "wrapup": "Nawerktijd",
                  "calling_back": "Terugbelverzoek uit de wachtrij: als u opneemt, belt bereik de beller. "
                                  "U hoort de beller overgaan.",
                  "dial": "Bellen", "dialling": "Uw toestel gaat over; neem op, dan belt bereik de beller.",
                  "close_with": "Sluiten met reden", "not_reached": "Niet bereikt", "status_handled": "afgehandeld",
                  "status_not_reached": "niet bereikt", "attempts": "pogingen zonder antwoord",
                  "reminded": "herinnering gestuurd", "escalated": "teamleider ingelicht",
                  "booked": "Afspraak gemaakt:", "book": "Afspreken",
                  "no_extension": "geen toestel", "wrapup_for": "Afronden van het gesprek met",
                  "wrapped": "Afgerond", "helped": "direct geholpen", "not_helped": "niet direct geholpen",
                  "note_made": "terugbelnotitie gemaakt", "no_wrapup": "nog niet afgerond",
                  "choose_topic": "Kies eerst een onderwerp.",
                  "open_link": "Openen in het klantcontactsysteem", "pick": "Aannemen", "waits": "wacht",
                  "nobody_waits": "Er wacht niemand.", "fcr": "Direct geholpen", "of": "van",
                  "no_calls": "Nog geen gesprekken vandaag.",
                  "answering": "Uw toestel neemt op. Gaat het opnieuw over, neem dan de hoorn op.",
                  "pbx_lost": "Geen verbinding met de telefooncentrale: wat hier staat, kan verouderd zijn. "
                              "bereik maakt opnieuw verbinding."}},
    "en": {"title": "Console", "login": "Log in", "user": "User name", "password": "Password",
           "wrong": "User name or password is wrong.", "slow": "Too many attempts; wait a minute.",
           "team": "Team call-backs", "switch_code": "nl", "switch_name": "Nederlands", "skip": "To the call",
           "console": "console", "you": "You are",
           "position": "position", "logout": "Log out", "h_position": "Position", "login_position": "Sign in",
           "logout_position": "Sign out", "pause_reason": "Pause reason", "r_break": "Break",
           "r_meeting": "Meeting", "r_callbacks": "Call-backs", "r_training": "Training", "pause": "Pause",
           "resume": "End the pause", "h_call": "Call", "no_call": "No call.",
           "answer": "Answer", "hangup": "Hang up", "record": "Start recording",
           "h_lookup": "Find a colleague", "search": "Find a colleague (name, department, topic)",
           "search_help": "Arrows and Enter choose a colleague; Transfer calls that colleague.",
           "results": "Colleagues found", "chosen_none": "No colleague chosen yet.",
           "h_transfer": "Transfer (warm)", "transfer": "Transfer",
           "complete": "Complete transfer", "cancel": "Back to the caller", "h_callback": "Call-back note",
           "cb_number": "Phone number", "cb_name": "Caller's name", "cb_for": "For (colleague)",
           "cb_team": "Team", "cb_question": "Question", "cb_send": "Send note",
           "h_appointment": "Call-back appointment with", "ap_find": "Find free times",
           "my_callbacks": "My call-back notes", "h_recordings": "My recordings",
           "team_callbacks": "My team's call-back notes", "close_reason": "Reason",
           "h_shortcuts": "Keyboard shortcuts", "search_shortcut": "or /",
           "h_wrapup": "Wrap-up", "wrapup_help": "Choose the topic, then whether the caller was helped at once.",
           "wrapup_topic": "Topic", "wrapup_resolved": "Helped at once?", "yes": "Yes", "no": "No",
           "h_history": "My calls today", "h_waiting": "Callers waiting",
           "shortcut_names": {"answer": "Answer", "hangup": "Hang up", "search": "Find a colleague",
                              "transfer": "Transfer to the chosen colleague", "complete": "Complete the transfer",
                              "cancel": "Back to the caller", "wrapup-yes": "Wrap up: helped at once",
                              "wrapup-no": "Wrap up: not helped at once"},
           "js": {"ringing": "Ringing", "caller": "Caller", "unknown": "unknown number", "municipality": "Municipality",
                  "topic": "Choice", "waited": "Waited", "seconds": "s", "minutes": "min", "tried": "Tried",
                  "failed_noanswer": "did not answer", "failed_busy": "was on the phone",
                  "failed_unavailable": "could not be reached", "failed_dnd": "was on do-not-disturb",
                  "failed_camp_timeout": "stayed on the phone too long", "failed_": "did not answer",
                  "forwarded_to": "forwarded to", "the_mobile": "the mobile",
                  "put_through_to": "put through to",
                  "open_callbacks": "Open call-back notes", "earlier": "Called before (7 days)",
                  "call_ringing": "Ringing", "call_connected": "Talking", "call_ended": "Ended",
                  "call_missed": "Not answered", "since": "since", "at": "at",
                  "title_idle": "Console", "state_ringing": "Colleague ringing; the caller hears music",
                  "state_talking": "Consulting the colleague", "state_completed": "Transferred",
                  "state_cancelled": "Back with the caller", "state_failed": "Transfer failed",
                  "transfer_to": "Transfer to", "chosen": "Chosen", "choose": "Choose",
                  "recording_on": "Recording", "recording_off": "Not recording",
                  "stop_record": "Stop recording", "record": "Start recording", "paused": "Paused",
                  "available": "Signed in", "logged_out": "Signed out", "sent": "Sent", "due": "due",
                  "status_open": "open", "status_done": "called back", "status_late": "late",
                  "done": "Done", "no_results": "Nobody found", "play": "Recording", "wrapup": "Wrap-up",
                  "calling_back": "Call-back from the queue: when you answer, bereik calls the caller. "
                                  "You hear the caller's phone ring.",
                  "dial": "Call", "dialling": "Your phone rings; answer it and bereik calls the caller.",
                  "close_with": "Close with reason", "not_reached": "Not reached", "status_handled": "handled",
                  "status_not_reached": "not reached", "attempts": "unanswered attempts",
                  "reminded": "reminder sent", "escalated": "team lead told",
                  "booked": "Appointment made:", "book": "Book",
                  "no_extension": "no phone", "wrapup_for": "Wrap-up of the call with",
                  "wrapped": "Wrapped up", "helped": "helped at once", "not_helped": "not helped at once",
                  "note_made": "call-back note made", "no_wrapup": "not wrapped up yet",
                  "choose_topic": "Choose a topic first.",
                  "open_link": "Open in the customer contact system", "pick": "Take call", "waits": "waiting",
                  "nobody_waits": "Nobody is waiting.", "fcr": "Helped at once", "of": "of",
                  "no_calls": "No calls yet today.",
                  "answering": "Your phone answers. If it rings again, pick up the handset.",
                  "pbx_lost": "No connection to the telephone exchange: what you see may be out of date. "
                              "bereik is reconnecting."}},
}
TEXTS["nl"]["js"]["refusals"] = REFUSALS_NL  # English: the desk's own words

# The administrator's page of the webhooks (/webhooks).
WEBHOOK_TEXTS = {
    "nl": {"title": "Webhooks", "receivers": "Ontvangers", "receiver": "Ontvanger", "url": "Adres",
           "waiting": "Wacht op aflevering", "dead": "Niet afgeleverd", "type": "Gebeurtenis", "call": "Gesprek",
           "made": "Ontstaan", "attempts": "Pogingen", "error": "Laatste fout", "again": "Opnieuw versturen",
           "none": "Alles is afgeleverd.", "no_receivers": "Er zijn geen webhooks ingesteld (integrations.webhooks)."},
    "en": {"title": "Webhooks", "receivers": "Receivers", "receiver": "Receiver", "url": "Address",
           "waiting": "Waiting to be delivered", "dead": "Not delivered", "type": "Event", "call": "Call",
           "made": "Made", "attempts": "Attempts", "error": "Last error", "again": "Send again",
           "none": "Everything was delivered.", "no_receivers": "No webhooks are set (integrations.webhooks)."},
}

# Server-side dates (the team page works without script), as people write them.
_WEEKDAYS = {"nl": ("ma", "di", "wo", "do", "vr", "za", "zo"), "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = {"nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
           "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}


def day_text(day, lang: str) -> str:
    """'do 24 dec 2026' (nl), 'Thu 24 Dec 2026' (en): a date as people write it."""
    lang = lang if lang in _WEEKDAYS else "nl"
    return f"{_WEEKDAYS[lang][day.weekday()]} {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def date_text(moment, lang: str) -> str:
    """'di 24 nov 2026 17:00' (nl), 'Tue 24 Nov 2026 17:00' (en): a local moment as people write it."""
    lang = lang if lang in _WEEKDAYS else "nl"
    return (f"{_WEEKDAYS[lang][moment.weekday()]} {moment.day} {_MONTHS[lang][moment.month - 1]} {moment.year} "
            f"{moment:%H:%M}")
