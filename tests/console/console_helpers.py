"""Fakes for the console tests: an AMI that records actions and replays events, a directory login."""
from __future__ import annotations

import datetime as dt
from pathlib import Path


from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import CallbackStore
from bereik.config.model import Console as ConsoleSettings
from bereik.config.model import ConsoleUser
from bereik.console.auth import Verdict
from bereik.console.desk import Desk
from bereik.console.web import Console
from bereik.pbx.dialplan import ATXFER_CODE
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
PASSWORDS = {"anna": "anna-pw", "bram": "bram-pw", "lisa": "lisa-pw", "olaf": "olaf-pw", "root": "root-pw",
             "coco": "coco-pw", "eva": "eva-pw"}
USERS = [
    ConsoleUser(login="anna", role="agent", extension="201", team="tic"),
    ConsoleUser(login="bram", role="agent", extension="202", team="tic"),
    ConsoleUser(login="lisa", role="team_lead", extension="203", team="tic"),
    ConsoleUser(login="olaf", role="team_lead", team="vergunningen"),
    ConsoleUser(login="eva", role="agent", extension="301", team="vergunningen"),  # back office: her desk phone
    ConsoleUser(login="root", role="administrator", team="tic"),
    ConsoleUser(login="coco", role="coordinator", team="tic"),
]


def console_config(recordings: Path, smtp_port: int = 1, **changes):
    config = example_config()
    # Plain http on 127.0.0.1 in most tests; test_https_browser.py keeps the Secure cookie over https.
    changes = {"secure_cookies": False, **changes}
    settings = ConsoleSettings(users=USERS, recordings_dir=str(recordings),
                               team_mailboxes={"tic": "kcc@bloemendaal.test", "vergunningen": "vg@bloemendaal.test"},
                               smtp_port=smtp_port, transfer_ring_seconds=5, **changes)
    return config.model_copy(update={"console": settings})


class FakeAmi:
    connected = True  # the presence service's phone watcher asks

    def __init__(self):
        self.callbacks: dict[str, list] = {}
        self.actions: list[tuple[str, dict]] = []
        self.replies: dict[str, list[dict]] = {}

    def on_login(self, callback):
        self.login_callbacks = [*getattr(self, "login_callbacks", []), callback]

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def on_disconnect(self, callback):
        self.disconnect_callbacks = [*getattr(self, "disconnect_callbacks", []), callback]

    async def action(self, name, timeout=None, **headers):
        self.actions.append((name, headers))
        return self.replies.get(name, [{"Response": "Success"}])

    def emit(self, **event):
        for callback in self.callbacks.get(event["Event"], []):
            callback(event)

    def sent(self, name):
        return [h for n, h in self.actions if n == name]

    def transfers(self) -> list[dict]:
        """Each warm transfer begun as bereik.pbx.warm_transfer begins one, once its number is set and the whole
        transfer code pressed: its channel, number and context."""
        begun, numbers, contexts, keys = [], {}, {}, {}
        for name, headers in self.actions:
            channel = headers.get("Channel")
            if name == "Setvar" and headers["Variable"] == "TRANSFER_CONTEXT":
                contexts[channel] = headers["Value"]
            elif name == "Setvar" and headers["Variable"] == "TRANSFER_EXTEN" and headers["Value"]:
                numbers[channel], keys[channel] = headers["Value"], ""
            elif name == "PlayDTMF" and channel in keys:
                keys[channel] += headers["Digit"]
                if keys[channel] == ATXFER_CODE:
                    begun.append({"Channel": channel, "Exten": numbers[channel], "Context": contexts.get(channel)})
                    del keys[channel]
        return begun


class FakeDirectory:
    groups: dict[str, frozenset[str]] = {}

    async def check(self, login, password):
        if password and PASSWORDS.get(login) == password:
            return Verdict(self.groups.get(login, frozenset()))
        return None


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self):
        return self.now




async def log_in(client, login: str) -> str:
    """Log in; returns the CSRF token of the session."""
    response = await client.post("/login", data={"login": login, "password": PASSWORDS[login]},
                                 allow_redirects=False)
    assert response.status == 303, await response.text()
    return (await (await client.get("/api/me")).json())["csrf"]
