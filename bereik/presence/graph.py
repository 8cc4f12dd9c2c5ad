"""Outlook through Microsoft Graph: free/busy and automatic replies for many people at once.

- App-only OAuth2 (client credentials) against the Microsoft identity platform's
  v2.0 token endpoint. A direct call rather than msal: msal is synchronous and
  refuses any authority that is not https with OIDC discovery, so it cannot be
  pointed at the local Graph-shaped server the tests use.
- Free/busy: POST /users/{mailbox}/calendar/getSchedule, `schedules_per_request`
  addresses per call. Automatic replies: GET .../mailboxSettings/automaticRepliesSetting,
  20 per JSON $batch (Graph's limit).
- 429 and 503 wait for Retry-After; other 5xx back off; a 401 fetches a new token once.
- The poller keeps the last answers in memory; a failed refresh marks the source
  down so merged views show "unknown", never an old "free".
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from bereik.presence.merge import CalendarItem, CalendarReading, Fact, OutOfOffice, SourceStatus, WorkingHours

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
BATCH_LIMIT = 20  # requests per JSON $batch, fixed by Graph
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Windows time-zone names that mailboxes report, for the zones a Dutch municipality meets.
_WINDOWS_ZONES = {
    "W. Europe Standard Time": "Europe/Amsterdam",
    "Romance Standard Time": "Europe/Brussels",
    "GMT Standard Time": "Europe/London",
    "Central Europe Standard Time": "Europe/Budapest",
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
}


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    schedule_mailbox: str  # app-only getSchedule runs on some mailbox's calendar: a service mailbox
    authority_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    schedules_per_request: int = 20
    window: dt.timedelta = dt.timedelta(hours=12)
    interval_minutes: int = 15
    refresh_seconds: float = 180.0
    max_age: dt.timedelta = dt.timedelta(minutes=10)  # three missed refreshes and the facts are unknown
    max_attempts: int = 4
    max_retry_after: float = 120.0
    timeout: float = 20.0
    zone: str = "Europe/Amsterdam"  # for working hours in a zone Python does not know


class GraphError(Exception):
    pass


def zone_named(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        return ZoneInfo(_WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return default


def parse_moment(value: dict, default: ZoneInfo) -> dt.datetime:
    """A Graph dateTimeTimeZone ({"dateTime": "2026-03-02T13:30:00.0000000", "timeZone": "UTC"})."""
    text = value["dateTime"]
    head, dot, fraction = text.partition(".")
    moment = dt.datetime.fromisoformat(head + (dot + fraction[:6] if dot else ""))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_named(value.get("timeZone"), default))
    return moment


def _clock_time(text: str) -> dt.time:
    return dt.time.fromisoformat(text.split(".")[0])


def parse_schedule(info: dict, default: ZoneInfo) -> CalendarReading | None:
    """One scheduleInformation; None when Graph reports an error for this address."""
    if info.get("error"):
        return None
    items = tuple(
        CalendarItem(parse_moment(item["start"], default), parse_moment(item["end"], default),
                     str(item.get("status", "")).lower())
        for item in info.get("scheduleItems") or ()
    )
    hours = None
    wh = info.get("workingHours")
    if wh and wh.get("daysOfWeek") and wh.get("startTime") and wh.get("endTime"):
        hours = WorkingHours(
            days=frozenset(_WEEKDAYS.index(d.lower()) for d in wh["daysOfWeek"] if d.lower() in _WEEKDAYS),
            start=_clock_time(wh["startTime"]), end=_clock_time(wh["endTime"]),
            zone=zone_named((wh.get("timeZone") or {}).get("name"), default),
        )
    return CalendarReading(items, hours)


def parse_automatic_replies(body: dict, default: ZoneInfo) -> OutOfOffice:
    start, end = body.get("scheduledStartDateTime"), body.get("scheduledEndDateTime")
    return OutOfOffice(
        status=str(body.get("status", "disabled")),
        start=parse_moment(start, default) if start and start.get("dateTime") else None,
        end=parse_moment(end, default) if end and end.get("dateTime") else None,
    )


def retry_after(headers, attempt: int, ceiling: float) -> float:
    """Graph's Retry-After (seconds) when given, else exponential back-off."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 2.0 ** attempt
    return min(max(seconds, 0.0), ceiling)


def chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class GraphClient:
    def __init__(self, settings: GraphSettings, session: aiohttp.ClientSession,
                 clock: Callable[[], dt.datetime], sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.settings = settings
        self.session = session
        self.clock = clock
        self.sleep = sleep
        self.default_zone = ZoneInfo(settings.zone)
        self._token: str | None = None
        self._token_expires = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._token_lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._token_lock:
            if self._token and self.clock() < self._token_expires:
                return self._token
            s = self.settings
            url = f"{s.authority_url.rstrip('/')}/{quote(s.tenant_id)}/oauth2/v2.0/token"
            form = {"grant_type": "client_credentials", "client_id": s.client_id,
                    "client_secret": s.client_secret, "scope": GRAPH_SCOPE}
            async with self.session.post(url, data=form, timeout=aiohttp.ClientTimeout(total=s.timeout)) as reply:
                body = await reply.json(content_type=None)
                if reply.status != 200 or "access_token" not in body:
                    # The error code only: the description may echo the request.
                    raise GraphError(f"token request refused: {reply.status} {body.get('error', '')}")
            self._token = body["access_token"]
            # Renew a minute early so a token never expires between check and use.
            lifetime = max(int(body.get("expires_in", 3599)) - 60, 0)
            self._token_expires = self.clock() + dt.timedelta(seconds=lifetime)
            return self._token

    def _forget_token(self, used: str) -> None:
        if self._token == used:
            self._token = None

    async def call(self, method: str, path: str, json: dict | None = None) -> dict:
        """One Graph request with token renewal, throttling and retries; the JSON body."""
        s = self.settings
        renewed = False
        attempt = 0
        while True:
            token = await self.token()
            headers = {"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'}
            async with self.session.request(method, s.graph_url.rstrip("/") + path, json=json, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=s.timeout)) as reply:
                if reply.status == 401 and not renewed:
                    self._forget_token(token)
                    renewed = True
                    continue
                if reply.status == 429 or reply.status >= 500:
                    attempt += 1
                    if attempt >= s.max_attempts:
                        raise GraphError(f"{method} {path.split('/')[-1]}: {reply.status} after {attempt} attempts")
                    delay = retry_after(reply.headers, attempt, s.max_retry_after)
                    log.warning("Graph answered %d; retrying in %.1f s", reply.status, delay)
                    await self.sleep(delay)
                    continue
                body = await reply.json(content_type=None)
                if reply.status >= 400:
                    code = (body.get("error") or {}).get("code", "") if isinstance(body, dict) else ""
                    raise GraphError(f"{method} {path.split('/')[-1]}: {reply.status} {code}")
                return body

    async def schedules(self, addresses: list[str], start: dt.datetime,
                        end: dt.datetime) -> dict[str, CalendarReading | None]:
        s = self.settings
        found: dict[str, CalendarReading | None] = {}
        for group in chunks(addresses, s.schedules_per_request):
            body = await self.call("POST", f"/users/{quote(s.schedule_mailbox)}/calendar/getSchedule", {
                "schedules": group,
                "startTime": {"dateTime": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "endTime": {"dateTime": end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "availabilityViewInterval": s.interval_minutes,
            })
            for info in body.get("value", []):
                found[str(info.get("scheduleId", "")).lower()] = parse_schedule(info, self.default_zone)
        return found

    async def automatic_replies(self, addresses: list[str]) -> dict[str, OutOfOffice | None]:
        found: dict[str, OutOfOffice | None] = {}
        for group in chunks(addresses, BATCH_LIMIT):
            pending = dict(enumerate(group))
            attempt = 0
            while pending:
                body = await self.call("POST", "/$batch", {"requests": [
                    {"id": str(i), "method": "GET",
                     "url": f"/users/{quote(address)}/mailboxSettings/automaticRepliesSetting"}
                    for i, address in pending.items()
                ]})
                throttled, wait = {}, 0.0
                for response in body.get("responses", []):
                    i = int(response["id"])
                    address = pending[i]
                    status = int(response.get("status", 500))
                    if status == 429 or status >= 500:
                        throttled[i] = address
                        wait = max(wait, retry_after(response.get("headers") or {}, attempt + 1,
                                                     self.settings.max_retry_after))
                    elif status == 200:
                        found[address.lower()] = parse_automatic_replies(response.get("body") or {},
                                                                         self.default_zone)
                    else:
                        found[address.lower()] = None
                attempt += 1
                if throttled and attempt >= self.settings.max_attempts:
                    found.update({a.lower(): None for a in throttled.values()})
                    break
                if throttled:
                    await self.sleep(wait)
                pending = throttled
        return found


class OutlookSource:
    """Free/busy and automatic replies for everyone in the directory, refreshed in the background."""

    def __init__(self, client: GraphClient, addresses: Callable[[], list[str]],
                 on_change: Callable[[set[str]], None] = lambda addresses: None):
        self.client = client
        self.addresses = addresses
        self.on_change = on_change
        self.status = SourceStatus()
        self._calendars: dict[str, tuple[CalendarReading | None, dt.datetime]] = {}
        self._replies: dict[str, tuple[OutOfOffice | None, dt.datetime]] = {}

    async def refresh(self) -> None:
        """Never raises: a failure marks the source down until the next success."""
        clock = self.client.clock
        now = clock()
        wanted = sorted({a.lower() for a in self.addresses() if a})
        try:
            calendars = await self.client.schedules(wanted, now, now + self.client.settings.window)
            replies = await self.client.automatic_replies(wanted)
        except (GraphError, aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # ValueError, KeyError, TypeError, AttributeError: an answer that is not the documented shape.
            self.status = SourceStatus(False, self.status.last_ok, str(exc) if isinstance(exc, GraphError)
                                       else type(exc).__name__)
            log.warning("Outlook refresh failed: %s", self.status.error)
            self.on_change(set(wanted))
            return
        observed = clock()
        changed = {a for a in wanted if (self._calendars.get(a, (None,))[0] != calendars.get(a)
                                         or self._replies.get(a, (None,))[0] != replies.get(a))}
        self._calendars = {a: (calendars.get(a), observed) for a in wanted}
        self._replies = {a: (replies.get(a), observed) for a in wanted}
        was_down = not self.status.up
        self.status = SourceStatus(True, observed)
        self.on_change(set(wanted) if was_down else changed)

    async def run(self) -> None:
        while True:
            await self.refresh()
            await self.client.sleep(self.client.settings.refresh_seconds)

    def calendar(self, address: str) -> Fact[CalendarReading]:
        value, observed = self._calendars.get(address.lower(), (None, None))
        return Fact(value, observed, self.status.up, self.client.settings.max_age)

    def replies(self, address: str) -> Fact[OutOfOffice]:
        value, observed = self._replies.get(address.lower(), (None, None))
        return Fact(value, observed, self.status.up, self.client.settings.max_age)
