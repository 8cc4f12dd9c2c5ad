"""A local server that speaks Microsoft Graph's documented shapes, with faults on request.

- POST /{tenant}/oauth2/v2.0/token (client credentials) -> {"access_token", "expires_in", ...}
- POST /v1.0/users/{mailbox}/calendar/getSchedule -> {"value": [scheduleInformation...]}
- POST /v1.0/$batch with GET .../mailboxSettings/automaticRepliesSetting -> {"responses": [...]}
- POST /v1.0/users/{mailbox}/events (an event with start/end dateTimeTimeZone) -> the event with its id;
  getSchedule shows it busy from then on
Faults: `throttle(n, seconds)` answers the next n Graph calls 429 with Retry-After;
`fail(n, status)` answers them with a server error; `expire_tokens()` makes every issued
token answer 401 InvalidAuthenticationToken; `throttle_in_batch` throttles inner responses.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

TENANT = "bloemendaal-tenant"
CLIENT_ID = "bereik-client"
CLIENT_SECRET = "test-client-secret-123"


class FakeGraph:
    def __init__(self):
        self.calendars: dict[str, dict] = {}  # address -> scheduleInformation without scheduleId
        self.replies: dict[str, dict] = {}  # address -> automaticRepliesSetting
        self.requests: list[tuple[str, object]] = []
        self.tokens_issued = 0
        self.max_schedules = 0
        self._valid: set[str] = set()
        self._counter = itertools.count(1)
        self._faults: list[web.Response] = []
        self._batch_throttles = 0
        self._batch_retry_after = "1"
        self.tokens_work = True  # False: issued tokens are refused (a revoked app registration)
        self.events: dict[str, list[dict]] = {}  # address -> events created, as POSTed

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        app.router.add_post("/v1.0/users/{mailbox}/calendar/getSchedule", self.get_schedule)
        app.router.add_post("/v1.0/$batch", self.batch)
        app.router.add_post("/v1.0/users/{mailbox}/events", self.create_event)
        return app

    # faults
    def throttle(self, times: int, seconds: str = "3") -> None:
        self._faults += [web.json_response(
            {"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
            status=429, headers={"Retry-After": seconds}) for _ in range(times)]

    def fail(self, times: int, status: int = 503) -> None:
        self._faults += [web.json_response({"error": {"code": "ServiceNotAvailable", "message": "down"}},
                                           status=status) for _ in range(times)]

    def expire_tokens(self) -> None:
        self._valid.clear()

    def throttle_in_batch(self, times: int, seconds: str = "2") -> None:
        self._batch_throttles = times
        self._batch_retry_after = seconds

    # endpoints
    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (request.match_info["tenant"] != TENANT or form.get("grant_type") != "client_credentials"
                or form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET
                or form.get("scope") != "https://graph.microsoft.com/.default"):
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401)
        token = f"token-{next(self._counter)}"
        if self.tokens_work:
            self._valid.add(token)
        self.tokens_issued += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": token})

    def _refuse(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._valid:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken",
                                                "message": "Access token has expired or is not yet valid."}},
                                     status=401)
        if self._faults:
            return self._faults.pop(0)
        return None

    async def get_schedule(self, request: web.Request) -> web.Response:
        refused = self._refuse(request)
        body = await request.json()
        self.requests.append(("getSchedule", body))
        if refused:
            return refused
        assert request.headers.get("Prefer") == 'outlook.timezone="UTC"'
        self.max_schedules = max(self.max_schedules, len(body["schedules"]))
        value = []
        for address in body["schedules"]:
            known = self.calendars.get(address.lower())
            if known is None:
                value.append({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                              "error": {"message": "The specified object was not found in the store.",
                                        "responseCode": "ErrorMailRecipientNotFound"}})
            else:
                value.append({"scheduleId": address, **known})
        return web.json_response({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
            "value": value})

    async def batch(self, request: web.Request) -> web.Response:
        refused = self._refuse(request)
        body = await request.json()
        self.requests.append(("$batch", body))
        if refused:
            return refused
        if len(body["requests"]) > 20:
            return web.json_response({"error": {"code": "BadRequest", "message": "too many requests"}}, status=400)
        responses = []
        for inner in body["requests"]:
            if self._batch_throttles:
                self._batch_throttles -= 1
                responses.append({"id": inner["id"], "status": 429,
                                  "headers": {"Retry-After": self._batch_retry_after},
                                  "body": {"error": {"code": "TooManyRequests"}}})
                continue
            address = re.match(r"/users/([^/]+)/mailboxSettings/automaticRepliesSetting", inner["url"])[1]
            address = address.replace("%40", "@").lower()
            setting = self.replies.get(address)
            if setting is None:
                responses.append({"id": inner["id"], "status": 404,
                                  "body": {"error": {"code": "ErrorItemNotFound"}}})
            else:
                responses.append({"id": inner["id"], "status": 200, "headers": {"Content-Type": "application/json"},
                                  "body": {"@odata.context": "...automaticRepliesSetting", **setting}})
        return web.json_response({"responses": responses})


    async def create_event(self, request: web.Request) -> web.Response:
        """POST /users/{id}/events: the event lands in the calendar, and getSchedule shows it busy."""
        refused = self._refuse(request)
        body = await request.json()
        self.requests.append(("events", body))
        if refused:
            return refused
        address = request.match_info["mailbox"].replace("%40", "@").lower()
        if address not in self.calendars:
            return web.json_response({"error": {"code": "ErrorItemNotFound"}}, status=404)
        try:
            start, end = (_utc(body[side]) for side in ("start", "end"))
        except (KeyError, ValueError, ZoneInfoNotFoundError):
            return web.json_response({"error": {"code": "ErrorInvalidRequest"}}, status=400)
        event = {"id": f"AAMk-{next(self._counter)}", **body}
        self.events.setdefault(address, []).append(event)
        self.calendars[address]["scheduleItems"].append(busy(start, end, body.get("showAs", "busy"), body["subject"]))
        return web.json_response(event, status=201)


def _utc(moment: dict) -> str:
    """A dateTimeTimeZone (IANA zone) as the UTC time getSchedule answers in."""
    local = dt.datetime.fromisoformat(moment["dateTime"]).replace(tzinfo=ZoneInfo(moment["timeZone"]))
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def busy(start: str, end: str, status: str = "busy", subject: str = "Overleg") -> dict:
    return {"isPrivate": False, "status": status, "subject": subject, "location": "",
            "start": {"dateTime": f"{start}.0000000", "timeZone": "UTC"},
            "end": {"dateTime": f"{end}.0000000", "timeZone": "UTC"}}


def calendar(*items: dict) -> dict:
    return {"availabilityView": "0022", "scheduleItems": list(items), "workingHours": {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
        "timeZone": {"name": "W. Europe Standard Time"}}}
