"""The coordinator's screen: opening hours and closing days on a calendar, the texts, the menu, the
people and departments bereik owns. Every change goes the way of a change by hand
(bereik.admin.proposals): shown as `bereik diff` says it, checked as `bereik check` checks it,
applied through the safe reload, in the audit log with who and why.

    GET  /manage                       the screen            (coordinator, administrator)
    POST /manage/propose               a change, as a proposal
    GET  /manage/proposal/{id}         what it changes, its problems, the reason asked for
    POST /manage/proposal/{id}/apply   apply it (with the reason) or, with cancel, drop it
    POST /manage/calamity              the calamity switch on (mode, message, end time) or off, with why
    POST /manage/recording?csrf=...    a recording for a text (multipart: name, file)

Plain forms: every page works without script (the calendar and forms are server-rendered).
"""
from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import re
from collections.abc import Callable

from aiohttp import web

from bereik.admin import edit
from bereik.admin.diff import LABELS
from bereik.admin.edit import EditError
from bereik.admin.proposals import ConfigEditor
from bereik.audit import PROMPT_RECORDED
from bereik.calamity import CalamitySwitch
from bereik.ivr.phrases import fill
from bereik.ivr.recorded import MAX_BYTES, RecordingError, Recordings, per_call
from bereik.config.load import ConfigError
from bereik.config.model import MAX_MENU_OPTIONS, TEXT_NAMES, WEEKDAYS, Config
from bereik.console.auth import SESSION, form_of
from bereik.console.texts import day_text
from bereik.routing import calamity as calamities
from bereik.routing.hours import OpeningHours

MONTHS_SHOWN = 3

WORDS = {
    "nl": {
        "title": "Beheer", "heading": "Beheer van de telefonie", "skip": "Naar de openingstijden",
        "no_editor": "Dit scherm werkt wanneer bereik draait met het YAML-bestand (bereik run).",
        "broken": "Het bestand heeft problemen; los die eerst op (bereik check):",
        "hours": "Openingstijden", "hours_help": "Per dag de tijden, bijvoorbeeld 08:30-12:00, 13:00-20:00; "
                                                "leeg is de hele dag gesloten. 24:00 is middernacht.",
        "calendar": "Kalender", "previous": "Eerdere maanden", "next": "Latere maanden",
        "closed": "gesloten", "holiday": "feestdag", "closing_day": "sluitingsdag", "today": "vandaag",
        "closing_days": "Sluitingsdagen", "add_closing": "Sluitingsdag toevoegen", "date": "Datum",
        "reason": "Reden", "remove": "Verwijderen", "remove_day": "Sluitingsdag verwijderen",
        "texts": "Teksten", "texts_help": "Wat bellers horen. Leeg: de tekst vervalt (of bereik gebruikt zijn "
                                          "eigen zin). {municipality}, {website} en {next_opening} worden ingevuld.",
        "menu": "Keuzemenu", "menu_help": "Ten hoogste vijf keuzes, elk met een uitleg die bellers begrijpen.",
        "key": "Toets", "topic": "Onderwerp", "text": "Uitleg", "new_option": "Nieuwe keuze",
        "remove_option": "Keuze verwijderen",
        "no_topic": "geen: doorverbinden naar buiten", "forward_to": "Of doorverbinden naar (nummer buiten de "
        "gemeente)", "organisation": "Organisatie", "outside_help": "Een keuze gaat naar een onderwerp, of naar het "
        "nummer van een organisatie buiten de gemeente (binnen de belrechten); neemt die niet op, dan komt de beller "
        "bij de frontoffice.",
        "people": "Collega's", "name": "Naam", "extension": "Toestel", "direct": "Direct nummer",
        "mobile": "Mobiel", "substitute": "Vervanger", "new_person": "Nieuwe collega",
        "departments": "Afdelingen", "number": "Nummer", "answered_by": "Neemt op", "members": "Leden",
        "save": "Wijziging bekijken", "proposal": "Wijziging bekijken", "changes": "Wat er verandert",
        "no_changes": "Dit verandert niets.", "problems": "Dit kan zo niet; pas het aan:",
        "warnings": "Let op:", "why": "Waarom (komt in het auditlog)", "apply": "Toepassen",
        "cancel": "Annuleren", "back": "Terug naar beheer", "applied": "Toegepast:",
        "not_applied": "Niet toegepast:", "conflict": "Het bestand is intussen met de hand gewijzigd. Uw "
        "wijziging is niet toegepast, om die andere wijziging niet te overschrijven. Bekijk de huidige stand "
        "en maak uw wijziging opnieuw.", "gone": "Deze wijziging bestaat niet (meer).",
        "logout": "Uitloggen", "switch_code": "en", "switch_name": "English",
        "calamity": "Calamiteit", "calamity_help": "Bij een storing of ramp: één handeling, direct voor elke "
        "nieuwe beller, tot de eindtijd. Vanaf elk toestel kan het ook: *28 en de pincode.",
        "calamity_mode": "Wat bellers horen", "calamity_message": "Een melding vóór het keuzemenu; daarna het "
        "menu zoals altijd", "calamity_closed": "De lijnen sluiten: de melding en dan einde gesprek",
        "calamity_text": "De melding", "calamity_until": "Tot (datum en tijd)", "calamity_on": "Calamiteit aanzetten",
        "calamity_off": "Calamiteit beëindigen", "calamity_is_on": "Calamiteit staat aan",
        "calamity_state_message": "bellers horen een melding vóór het keuzemenu",
        "calamity_state_closed": "de lijnen zijn gesloten", "calamity_until_word": "tot",
        "calamity_said": "Bellers horen:", "calamity_by": "Aangezet door", "calamity_unavailable":
        "De calamiteitenschakelaar werkt wanneer bereik draait (bereik run).", "calamity_done_on":
        "De calamiteit staat aan.", "calamity_done_off": "De calamiteit is beëindigd.",
        "calamity_bad_time": "Geef de eindtijd als datum en tijd.",
        "recordings": "Opnames", "recordings_help": "Spreek een tekst zelf in (WAV, MP3, Ogg, Opus of WebM, "
        "ten hoogste een minuut): bellers horen dan uw opname in plaats van de computerstem. Past de tekst later "
        "niet meer bij de opname, dan spreekt de computerstem de nieuwe tekst.",
        "recording_for": "Opname voor", "upload": "Opname uploaden", "recorded_by": "Ingesproken door {by} op "
        "{at} ({seconds} s)", "no_recording": "Geen opname: de computerstem spreekt de tekst",
        "stale_recording": "De opname past niet meer bij de tekst: de computerstem spreekt de nieuwe tekst",
        "recording_done": "De opname is opgeslagen; bellers horen haar vanaf nu.",
        "days": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "short_days": ("ma", "di", "wo", "do", "vr", "za", "zo"),
        "months": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                   "oktober", "november", "december"),
    },
    "en": {
        "title": "Manage", "heading": "Managing the telephone set-up", "skip": "To the opening hours",
        "no_editor": "This screen works when bereik runs with the YAML file (bereik run).",
        "broken": "The file has problems; solve them first (bereik check):",
        "hours": "Opening hours", "hours_help": "The periods per day, e.g. 08:30-12:00, 13:00-20:00; empty is "
                                                "closed all day. 24:00 is midnight.",
        "calendar": "Calendar", "previous": "Earlier months", "next": "Later months",
        "closed": "closed", "holiday": "public holiday", "closing_day": "closing day", "today": "today",
        "closing_days": "Closing days", "add_closing": "Add a closing day", "date": "Date", "reason": "Reason",
        "remove": "Remove", "remove_day": "Remove closing day",
        "texts": "Texts", "texts_help": "What callers hear. Empty: the text goes (or bereik says its own "
                                        "sentence). {municipality}, {website} and {next_opening} are filled in.",
        "menu": "Menu", "menu_help": "At most five options, each with an explanation callers understand.",
        "key": "Key", "topic": "Topic", "text": "Explanation", "new_option": "New option",
        "remove_option": "Remove option",
        "no_topic": "none: put through outside", "forward_to": "Or put through to (a number outside the "
        "municipality)", "organisation": "Organisation", "outside_help": "An option goes to a topic, or to the "
        "number of an organisation outside the municipality (within the class of service); if it does not answer, "
        "the caller goes to the front office.",
        "people": "Colleagues", "name": "Name", "extension": "Extension", "direct": "Direct number",
        "mobile": "Mobile", "substitute": "Substitute", "new_person": "New colleague",
        "departments": "Departments", "number": "Number", "answered_by": "Answered by", "members": "Members",
        "save": "Review the change", "proposal": "Review the change", "changes": "What changes",
        "no_changes": "This changes nothing.", "problems": "This cannot be done as it is; change it:",
        "warnings": "Note:", "why": "Why (goes into the audit log)", "apply": "Apply", "cancel": "Cancel",
        "back": "Back to managing", "applied": "Applied:", "not_applied": "Not applied:",
        "conflict": "The file was changed by hand in the meantime. Your change was not applied, so as not to "
        "overwrite that other change. Look at the file as it is now and make your change again.",
        "gone": "This change does not exist (any more).", "logout": "Log out", "switch_code": "nl",
        "switch_name": "Nederlands",
        "calamity": "Calamity", "calamity_help": "In a disruption or disaster: one act, at once for every new "
        "caller, until the end time. Any desk phone can do it too: *28 and the PIN.",
        "calamity_mode": "What callers hear", "calamity_message": "A message before the menu; then the menu as "
        "always", "calamity_closed": "Close the lines: the message, then the call ends",
        "calamity_text": "The message", "calamity_until": "Until (date and time)", "calamity_on": "Switch on",
        "calamity_off": "End the calamity", "calamity_is_on": "Calamity is on",
        "calamity_state_message": "callers hear a message before the menu",
        "calamity_state_closed": "the lines are closed", "calamity_until_word": "until",
        "calamity_said": "Callers hear:", "calamity_by": "Switched on by", "calamity_unavailable":
        "The calamity switch works when bereik runs (bereik run).", "calamity_done_on": "The calamity is on.",
        "calamity_done_off": "The calamity has ended.", "calamity_bad_time": "Give the end time as a date and time.",
        "recordings": "Recordings", "recordings_help": "Record a text yourself (WAV, MP3, Ogg, Opus or WebM, at "
        "most a minute): callers then hear your recording instead of the computer voice. If the text no longer "
        "matches the recording later, the computer voice speaks the new text.",
        "recording_for": "Recording for", "upload": "Upload recording", "recorded_by": "Recorded by {by} on {at} "
        "({seconds} s)", "no_recording": "No recording: the computer voice speaks the text",
        "stale_recording": "The recording no longer matches the text: the computer voice speaks the new text",
        "recording_done": "The recording is saved; callers hear it from now on.",
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "short_days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "months": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"),
    },
}
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class Management:
    def __init__(self, render: Callable[..., web.Response], language: Callable[[web.Request], str],
                 clock: Callable[[], dt.datetime]):
        """`render(request, template, title, **context)`: the console's page; `language(request)`: nl or en."""
        self.render, self.language, self.clock = render, language, clock
        self.editor: ConfigEditor | None = None  # set once bereik run follows the YAML file
        self.calamity: CalamitySwitch | None = None  # set by bereik run (bereik.service)
        self.config_of: Callable[[], Config] | None = None  # the configuration calls follow now
        self.recordings_of: Callable[[], Recordings] | None = None  # the prompts' recordings, read anew
        self.recordings_changed: Callable[[], None] = lambda: None  # new calls play the new recording
        self.audit = None  # bereik.audit.AuditLog, for the recordings

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/manage", self.page), web.post("/manage/propose", self.propose),
                web.get("/manage/proposal/{id}", self.proposal_page),
                web.post("/manage/proposal/{id}/apply", self.apply), web.post("/manage/calamity", self.switch),
                web.post("/manage/recording", self.record)]

    def _words(self, request: web.Request) -> dict:
        return WORDS[self.language(request)]

    # --- the screen ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        w = self._words(request)
        calamity = await self._calamity_context(request)
        # What callers hear now (the running configuration): the calamity switch and the recordings.
        running = dict(calamity=calamity, recording_done=request.query.get("recorded", ""),
                       recordings=self._recordings_context(self.config_of(), w, self.language(request))
                       if self.config_of else [])
        if self.editor is None:
            return self.render(request, "console/manage.html", w["title"], w=w, config=None, problems=[],
                               message=w["no_editor"], status=503 if calamity is None else 200, **running)
        try:
            config = self.editor.current().config
        except ConfigError as error:
            return self.render(request, "console/manage.html", w["title"], w=w, config=None,
                               problems=[str(p) for p in error.problems], message=w["broken"], **running)
        start = self._first_month(request.query.get("from", ""))
        return self.render(request, "console/manage.html", w["title"], w=w, config=config, problems=[], message="",
                           **running,
                           hours=_hours_fields(config), months=self._months(config, start, w),
                           closing_days=[(d.date.isoformat(), day_text(d.date, self.language(request)), d.reason)
                                         for d in config.holidays.extra_closed],
                           earlier=_shift(start, -MONTHS_SHOWN), later=_shift(start, MONTHS_SHOWN),
                           texts=[(name, _capital(LABELS[self.language(request)][name]), config.texts.get(name, ""))
                                  for name in TEXT_NAMES],
                           topics=sorted({t for q in config.queues for t in q.topics}),
                           can_add_option=not config.menu or len(config.menu.options) < MAX_MENU_OPTIONS,
                           done=request.query.get("done", ""))

    async def _calamity_context(self, request: web.Request) -> dict | None:
        if self.calamity is None or self.config_of is None:
            return None
        config, now = self.config_of(), self.clock()
        on = await self.calamity.in_force(now)
        return {"on": on, "until_text": on.until.strftime("%d-%m-%Y %H:%M") if on else "",
                "default_until": calamities.end_of_day(now).strftime("%Y-%m-%dT%H:%M"),
                "texts": {mode.value: calamities.default_text(config, mode) for mode in calamities.Mode},
                "done": request.query.get("calamity", "")}

    async def switch(self, request: web.Request) -> web.Response:
        """The calamity switch from the screen: on with mode, message and end time, or off; why is asked."""
        w = self._words(request)
        if self.calamity is None or self.config_of is None:
            raise web.HTTPServiceUnavailable(text=w["calamity_unavailable"])
        form = await form_of(request)
        get = lambda name: " ".join(str(form.get(name, "")).split())  # noqa: E731
        login, source = request[SESSION].user.login, f"http {request.remote}"
        why = get("why")[:300]
        if not why:
            raise web.HTTPBadRequest(text=w["why"])
        if form.get("action") == "off":
            await self.calamity.switch_off(login, source, why)
            raise web.HTTPSeeOther("/manage?calamity=off#calamity")
        config, now = self.config_of(), self.clock()
        try:
            until = dt.datetime.fromisoformat(get("until")).replace(tzinfo=config.zone)
        except ValueError:
            raise web.HTTPBadRequest(text=w["calamity_bad_time"]) from None
        try:
            calamity = calamities.checked(config, get("mode"), get("text"), until, now, login)
        except calamities.CalamityError as problem:
            raise web.HTTPBadRequest(text=str(problem)) from None
        await self.calamity.switch_on(calamity, source, why)
        raise web.HTTPSeeOther("/manage?calamity=on#calamity")

    def _recordings_context(self, config: Config, w: dict, language: str) -> list[dict]:
        """Per text a caller can hear the same way every call: its recording's state in words."""
        if self.recordings_of is None:
            return []
        recordings, labels = self.recordings_of(), LABELS[language]
        rows = []
        for name in TEXT_NAMES:
            template = config.texts.get(name)
            if not template or per_call(template):
                continue
            recording = recordings.get(name)
            if recording is None:
                state, kind = w["no_recording"], "none"
            elif recording.text != fill(config, template):
                state, kind = w["stale_recording"], "stale"
            else:
                state, kind = w["recorded_by"].format(by=recording.by, at=recording.at[:16].replace("T", " "),
                                                      seconds=f"{recording.seconds:g}"), "recorded"
            rows.append({"name": name, "label": _capital(labels[name]), "state": state, "kind": kind})
        return rows

    async def record(self, request: web.Request) -> web.Response:
        """A recording for one text: converted for Asterisk, kept with the words it says, audit-logged."""
        if self.recordings_of is None or self.config_of is None:
            raise web.HTTPServiceUnavailable(text=self._words(request)["calamity_unavailable"])
        fields, audio = {}, b""
        reader = await request.multipart()
        async for part in reader:
            if part.name == "file":
                while chunk := await part.read_chunk():
                    audio += chunk
                    if len(audio) > MAX_BYTES:
                        raise web.HTTPRequestEntityTooLarge(MAX_BYTES, len(audio))
            elif part.name in ("name", "csrf"):
                fields[part.name] = (await part.text())[:100]
        config, name = self.config_of(), fields.get("name", "")
        template = config.texts.get(name)
        if template is None or per_call(template):
            raise web.HTTPBadRequest(text=f"no text {name!r} that sounds the same every call")
        login = request[SESSION].user.login
        try:
            recording = await asyncio.to_thread(self.recordings_of().add, name, fill(config, template), audio, login,
                                                self.clock())
        except RecordingError as problem:
            raise web.HTTPBadRequest(text=str(problem)) from None
        if self.audit is not None:
            await self.audit.add_or_warn(login, PROMPT_RECORDED, name, f"http {request.remote}",
                                         seconds=recording.seconds, file=recording.stem)
        self.recordings_changed()
        raise web.HTTPSeeOther("/manage?recorded=1#recordings")

    def _first_month(self, wanted: str) -> dt.date:
        match = _MONTH.match(wanted)
        if match and 1 <= int(match[2]) <= 12 and 1900 < int(match[1]) < 3000:
            return dt.date(int(match[1]), int(match[2]), 1)
        return self.clock().date().replace(day=1)

    def _months(self, config: Config, start: dt.date, w: dict) -> list[dict]:
        hours, today = OpeningHours(config), self.clock().date()
        extra = {day.date: day.reason for day in config.holidays.extra_closed}
        months = []
        for offset in range(MONTHS_SHOWN):
            first = _shift_date(start, offset)
            weeks = []
            for week in calendar.Calendar().monthdatescalendar(first.year, first.month):
                row = []
                for day in week:
                    if day.month != first.month:
                        row.append(None)
                        continue
                    closed = hours.closed_all_day(day)
                    periods = ", ".join(getattr(config.hours, WEEKDAYS[day.weekday()]))
                    if closed and closed[0] == "closing_day":
                        state, words = "closing", f"{w['closing_day']}: {extra.get(day) or closed[1]}"
                    elif closed:
                        state, words = "holiday", f"{w['holiday']}: {closed[1]}"
                    elif not periods:
                        state, words = "closed", w["closed"]
                    else:
                        state, words = "open", periods
                    row.append({"day": day.day, "date": day.isoformat(), "state": state, "words": words,
                                "today": day == today, "closing": closed is not None and closed[0] == "closing_day"})
                weeks.append(row)
            months.append({"name": f"{w['months'][first.month - 1]} {first.year}", "weeks": weeks,
                           "id": f"m-{first.isoformat()[:7]}"})
        return months

    # --- a change --------------------------------------------------------------------------------

    async def propose(self, request: web.Request) -> web.Response:
        if self.editor is None:
            raise web.HTTPServiceUnavailable(text=self._words(request)["no_editor"])
        form = await form_of(request)
        try:
            edits = _edits_of(form)
            proposal = self.editor.propose(request[SESSION].user.login, *edits)
        except (EditError, ValueError) as problem:
            raise web.HTTPBadRequest(text=str(problem)) from None
        except ConfigError:
            raise web.HTTPConflict(text=self._words(request)["broken"]) from None
        raise web.HTTPSeeOther(f"/manage/proposal/{proposal.id}")

    async def proposal_page(self, request: web.Request) -> web.Response:
        w = self._words(request)
        proposal = self.editor.proposal(request.match_info["id"], request[SESSION].user.login) if self.editor else None
        if proposal is None:
            return self.render(request, "console/proposal.html", w["proposal"], w=w, proposal=None, status=404)
        return self.render(request, "console/proposal.html", w["proposal"], w=w, proposal=proposal,
                           problems=[p.message for p in proposal.problems],
                           warnings=[p.message for p in proposal.warnings])

    async def apply(self, request: web.Request) -> web.Response:
        w = self._words(request)
        form = await form_of(request)
        login, proposal_id = request[SESSION].user.login, request.match_info["id"]
        if self.editor is None:
            raise web.HTTPServiceUnavailable(text=w["no_editor"])
        if "cancel" in form:
            self.editor.drop(proposal_id, login)
            raise web.HTTPSeeOther("/manage")
        why = " ".join(str(form.get("why", "")).split())[:300]
        if not why:
            raise web.HTTPBadRequest(text=w["why"])
        applied = await self.editor.apply(proposal_id, login, why)
        if applied.applied:
            raise web.HTTPSeeOther("/manage?done=1")
        message = w["conflict"] if applied.conflict else w["not_applied"]
        return self.render(request, "console/applied.html", w["proposal"], w=w, message=message,
                           problems=applied.problems, status=409)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _hours_fields(config: Config) -> list[tuple[str, str]]:
    return [(day, ", ".join(getattr(config.hours, day))) for day in WEEKDAYS]


def _periods(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _edits_of(form) -> list[edit.Edit]:
    """The form of one section of the screen, as changes to the YAML."""
    section = str(form.get("section", ""))
    get = lambda name: " ".join(str(form.get(name, "")).split())  # noqa: E731 (one line, no control characters)
    if section == "hours":
        return [edit.set_hours(day, _periods(get(day))) for day in WEEKDAYS]
    if section == "closing_add":
        return [edit.add_closing_day(dt.date.fromisoformat(get("date")), get("reason"))]
    if section == "closing_remove":
        return [edit.remove_closing_day(dt.date.fromisoformat(get("date")))]
    if section == "texts":
        return [edit.set_text(name, get(f"text_{name}")) for name in TEXT_NAMES if f"text_{name}" in form]
    if section == "menu":
        edits = []
        for index in range(MAX_MENU_OPTIONS):
            was = get(f"was_{index}")
            if not was:
                continue
            if form.get(f"remove_{index}"):
                edits.append(edit.remove_menu_option(was))
            else:
                edits.append(edit.set_menu_option(was, new_key=get(f"key_{index}"), topic=get(f"topic_{index}"),
                                                  text=get(f"text_{index}"), forward_to=get(f"forward_to_{index}"),
                                                  organisation=get(f"organisation_{index}")))
        if get("key_new") and get("text_new"):
            edits.append(edit.add_menu_option(get("key_new"), get("topic_new"), get("text_new"),
                                              get("forward_to_new"), get("organisation_new")))
        return edits
    if section == "person":
        fields = {name: get(name) for name in ("name", "extension", "direct", "mobile", "substitute")}
        return [edit.set_person(get("was") or None, fields)]
    if section == "person_remove":
        return [edit.remove_person(get("was"))]
    if section == "department":
        members = [str(m) for m in form.getall("members", [])]
        fields = {name: get(name) for name in ("name", "number", "answered_by")}
        return [edit.set_department(get("id"), fields, members)]
    raise ValueError(f"unknown section {section!r}")


def _shift(start: dt.date, months: int) -> str:
    return _shift_date(start, months).isoformat()[:7]


def _shift_date(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
