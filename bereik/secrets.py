"""Secrets (AMI password, phone passwords) from the environment or a strict file, never from the YAML.

The file holds KEY=VALUE lines, e.g. BEREIK_AMI_SECRET=...; it must not be
readable by group or others. A value in the environment wins over the file.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as random_tokens
import stat
from pathlib import Path

AMI_SECRET = "BEREIK_AMI_SECRET"
# Every desk phone's SIP password is derived from this key (see Secrets.phone): one line in the file,
# a different password per phone, none of which reveals another's or the key.
PHONES_SECRET = "BEREIK_PHONES_SECRET"
# The key of caller pseudonyms in old call records (bereik.privacy): kept out of the store it protects.
PSEUDONYM_SECRET = "BEREIK_PSEUDONYM_SECRET"
# Given by others, so never generated: the bind password of presence.ldap.bind_dn, and the client
# secret of presence.graph's app registration. Named *_SECRET so the environment may hold them.
LDAP_SECRET = "BEREIK_LDAP_SECRET"
GRAPH_SECRET = "BEREIK_GRAPH_SECRET"
# The PIN of the calamity switch from a desk phone (*28): 6 to 12 digits, since a phone has no letters.
CALAMITY_SECRET = "BEREIK_CALAMITY_SECRET"
# Secrets found in sample configurations and tutorials: refused outright.
_SAMPLE_SECRETS = {"", "secret", "mysecret", "password", "changeme", "admin", "amp111", "1234"}
_MIN_LENGTH = 16
_GIVEN_BY_OTHERS = frozenset({LDAP_SECRET, GRAPH_SECRET})


class SecretError(RuntimeError):
    pass


class Secrets:
    def __init__(self, values: dict[str, str]):
        self._values = values

    @classmethod
    def load(cls, path: str | Path | None) -> Secrets:
        values: dict[str, str] = {}
        if path is not None:
            path = Path(path)
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise SecretError(f"{path} can be read by others; run: chmod 600 {path}")
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if "=" not in line:
                    raise SecretError(f"{path}:{number}: expected KEY=VALUE")
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
        values |= {k: v for k, v in os.environ.items() if k.startswith("BEREIK_") and k.endswith("SECRET")}
        return cls(values)

    def get(self, key: str) -> str:
        value = self._values.get(key, "")
        if value.lower() in _SAMPLE_SECRETS:
            raise SecretError(f"{key} is missing or a sample value; set it in the environment or the secrets file "
                              f"(bereik secrets --new FILE makes one)")
        if any(c in value for c in "\r\n\0"):
            raise SecretError(f"{key} contains a line break or NUL")
        if key == CALAMITY_SECRET:
            return _pin(key, value)
        if key in _GIVEN_BY_OTHERS:  # a directory's or Microsoft's password rules, not ours
            return value
        if len(value) < _MIN_LENGTH:
            raise SecretError(f"{key} is shorter than {_MIN_LENGTH} characters; "
                              f"bereik secrets --new FILE makes a long random one")
        if ";" in value:
            raise SecretError(f"{key} contains ';', which Asterisk's files read as the start of a comment")
        return value

    def phone(self, extension: str) -> str:
        """The SIP digest password of the phone at `extension`: BEREIK_PHONE_<extension>_SECRET when the
        file names one, else derived from BEREIK_PHONES_SECRET (`bereik phones` shows them for provisioning)."""
        own = phone_secret_key(extension)
        if self._values.get(own):
            return self.get(own)
        digest = hmac.new(self.get(PHONES_SECRET).encode(), f"sip-phone:{extension}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:24]

    def __repr__(self) -> str:  # never show values, not even in a traceback
        return f"Secrets({sorted(self._values)})"


def _pin(key: str, value: str) -> str:
    if not value.isascii() or not value.isdigit() or not 6 <= len(value) <= 12:
        raise SecretError(f"{key} must be 6 to 12 digits (a desk phone has no letters)")
    if len(set(value)) == 1 or value in "01234567890123" or value in "98765432109876":
        raise SecretError(f"{key} is a guessable PIN (one digit repeated, or digits in a row); choose another")
    return value


def phone_secret_key(extension: str) -> str:
    return f"BEREIK_PHONE_{extension}_SECRET"


# What bereik makes up itself, and how long.
_GENERATED = {AMI_SECRET: 24, PSEUDONYM_SECRET: 32, PHONES_SECRET: 32}


def write_new_secrets_file(path: str | Path) -> Path:
    """A fresh secrets file with a random AMI secret, pseudonym key and phone key, readable by its owner
    only; the LDAP and Graph secrets, which bereik cannot make up, as commented lines to fill in."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        for key, length in _GENERATED.items():
            file.write(f"{key}={random_tokens.token_urlsafe(length)}\n")
        file.write(f"# {LDAP_SECRET}=  (the password of presence.ldap.bind_dn, when it is set)\n")
        file.write(f"# {GRAPH_SECRET}=  (the client secret of presence.graph's app registration)\n")
        file.write(f"# {CALAMITY_SECRET}=  (6 to 12 digits: the PIN of *28, the calamity switch from a desk phone)\n")
    return path


def add_missing_secrets(path: str | Path) -> list[str]:
    """Add what a newer bereik generates (e.g. BEREIK_PHONES_SECRET) to an existing file; nothing is changed."""
    path = Path(path)
    present = Secrets.load(path)._values
    missing = [key for key in _GENERATED if not present.get(key)]
    with open(path, "a") as file:
        for key in missing:
            file.write(f"{key}={random_tokens.token_urlsafe(_GENERATED[key])}\n")
    return missing
