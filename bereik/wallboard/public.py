"""The public live figure for the municipality's website: is the front office open, and how long does a caller
who calls now expect to wait.

No personal data: no numbers, names, agents or callers, only the municipality's own number and what any caller
hears. Served on its own listener (YAML `public.listen`), never behind the console's login: GET only, no
cookies, any origin may read it (CORS `*` without credentials), cached for CACHE_SECONDS on both sides so a
busy website does not load bereik. The widget writes plain text into the municipality's own element, in a
polite live region (WCAG 4.1.3).

    <p data-bereik-status>Telefonisch bereikbaar: zie www.bloemendaal.nl</p>
    <script src="https://bereik.example.nl/widget.js" async></script>
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable

from aiohttp import web

from bereik.config.model import Config
from bereik.ivr.phrases import next_opening_phrase
from bereik.ivr.wait_message import spoken_wait, wait_texts
from bereik.routing.estimate import Estimate, QueueSnapshot, estimate_wait
from bereik.routing.hours import OpeningHours

CACHE_SECONDS = 15
_HEADERS = {
    "Cache-Control": f"public, max-age={CACHE_SECONDS}",
    "Access-Control-Allow-Origin": "*",  # readable by the municipality's website; no credentials ever
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
_WORDS = {
    "nl": {"open": "Het klantcontact is nu open via {number}.", "closed": "Het klantcontact is nu gesloten. "
           "Wij zijn weer bereikbaar {next}.", "wait": "Verwachte wachttijd: {wait}.",
           "no_wait": "U wordt zo snel mogelijk geholpen.", "none": "U wordt meteen geholpen."},
    "en": {"open": "The front office is open now on {number}.", "closed": "The front office is closed now. We are "
           "available again {next}.", "wait": "Expected wait: {wait}.",
           "no_wait": "You will be helped as soon as possible.", "none": "You will be helped at once."},
}


def public_status(config: Config, hours: OpeningHours, now: dt.datetime, snapshot: QueueSnapshot | None) -> dict:
    """What the website shows; `snapshot`: the front-office queue as a caller joining now would find it."""
    language = config.language
    words = _WORDS[language]
    status = hours.status(now)
    estimate: Estimate | None = estimate_wait(snapshot, now.timestamp()) if status.open and snapshot else None
    wait = round(estimate.wait_seconds) if estimate and estimate.wait_seconds is not None else None
    if not status.open:
        text = words["closed"].format(next=next_opening_phrase(status.next_opening, now, config.zone, language))
    elif wait is None:
        text = f"{words['open'].format(number=config.number)} {words['no_wait']}"
    elif wait < 30:
        text = f"{words['open'].format(number=config.number)} {words['none']}"
    else:
        spoken = spoken_wait(wait, wait_texts(language, config.waiting.texts), language)
        text = f"{words['open'].format(number=config.number)} {words['wait'].format(wait=spoken)}"
    return {
        "municipality": config.municipality,
        "number": config.number,
        "open": status.open,
        "next_opening": status.next_opening.isoformat(timespec="minutes") if status.next_opening and not status.open
        else None,
        "expected_wait_seconds": wait,
        "expected_wait_certain": bool(estimate and estimate.certain),
        "text": text,
        "language": language,
        "updated_at": now.isoformat(timespec="seconds"),
    }


_WIDGET = """// bereik: the front office's live status, as plain text in every [data-bereik-status] element.
(function () {
  "use strict";
  var script = document.currentScript;
  var source = new URL("status.json", script ? script.src : window.location.href).toString();
  function show() {
    fetch(source, {credentials: "omit"}).then(function (answer) {
      if (!answer.ok) { return null; }
      return answer.json();
    }).then(function (status) {
      if (!status || typeof status.text !== "string") { return; }
      document.querySelectorAll("[data-bereik-status]").forEach(function (element) {
        element.setAttribute("aria-live", "polite");
        element.textContent = status.text;
      });
    }).catch(function () { /* keep the text the page had */ });
  }
  show();
  window.setInterval(show, 60000);
}());
"""


class PublicFigure:
    """Computes the figure at most once per CACHE_SECONDS."""

    def __init__(self, config: Config, snapshot: Callable[[float], QueueSnapshot | None],
                 clock: Callable[[], dt.datetime], monotonic: Callable[[], float] = time.monotonic):
        self.config, self.snapshot, self.clock, self.monotonic = config, snapshot, clock, monotonic
        self.hours = OpeningHours(config)
        self._cached: tuple[float, bytes] | None = None

    def body(self) -> bytes:
        if self._cached is None or self.monotonic() - self._cached[0] >= CACHE_SECONDS:
            now = self.clock()
            figure = public_status(self.config, self.hours, now, self.snapshot(now.timestamp()))
            self._cached = (self.monotonic(), json.dumps(figure, ensure_ascii=False).encode())
        return self._cached[1]

    def routes(self) -> list[web.RouteDef]:
        async def status(request: web.Request) -> web.Response:
            return web.Response(body=self.body(), content_type="application/json", charset="utf-8",
                                headers=_HEADERS)

        async def widget(request: web.Request) -> web.Response:
            return web.Response(text=_WIDGET, content_type="text/javascript", charset="utf-8",
                                headers={**_HEADERS, "Cache-Control": "public, max-age=3600"})

        return [web.get("/status.json", status), web.get("/widget.js", widget)]
