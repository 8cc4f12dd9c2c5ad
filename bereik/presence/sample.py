"""A generated municipal staff directory, the same every time: for the demo, tests and benchmark.

Photos are small JPEG-framed byte strings (start and end markers around a comment
naming the person): enough to check that binary photos travel intact, no image library needed.
"""
from __future__ import annotations

import base64
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass

BASE_DN = "ou=people,dc=bloemendaal,dc=test"
MAIL_DOMAIN = "bloemendaal.test"

DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "Burgerzaken": ("paspoort", "rijbewijs", "verhuizing", "uittreksel"),
    "Vergunningen": ("omgevingsvergunning", "bouwen", "evenementen"),
    "Belastingen": ("WOZ", "aanslag", "kwijtschelding"),
    "Sociaal Domein": ("bijstand", "WMO", "jeugdzorg", "schuldhulp"),
    "Openbare Ruimte": ("afval", "parkeren", "groen", "straatverlichting"),
    "Financiën": ("facturen", "subsidies"),
    "Communicatie": ("pers", "website"),
    "ICT": ("werkplek", "telefonie"),
    "Personeelszaken": ("salaris", "verlof"),
    "Klantcontactcentrum": ("algemene vragen", "terugbelverzoek"),
}
TITLES = ("medewerker", "senior medewerker", "adviseur", "beleidsmedewerker", "specialist", "coördinator")
FIRST = ("Jan", "Piet", "Kees", "Anouk", "Sanne", "Fleur", "Daan", "Sem", "Lotte", "Emma", "Lucas", "Noah",
         "Julia", "Mila", "Tess", "Bram", "Ruben", "Thijs", "Eva", "Iris", "Femke", "Joris", "Marloes",
         "Mohamed", "Fatima", "Yusuf", "Ayşe", "Priya", "Wei", "Zoë", "Chloë", "Gijs", "Hanneke", "Ilse")
LAST = ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
        "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
        "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Yılmaz", "El Amrani",
        "Öztürk", "Nguyen", "Kuipers", "van Dijk", "Willems", "Verhoeven", "Schouten", "Post")


@dataclass(frozen=True)
class SamplePerson:
    uid: str
    given: str
    surname: str
    department: str
    title: str
    extension: str
    mobile: str
    topics: tuple[str, ...]
    manager_uid: str  # "" for a team lead

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"

    @property
    def email(self) -> str:
        return f"{self.uid}@{MAIL_DOMAIN}"

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{BASE_DN}"

    @property
    def team_mailbox(self) -> str:
        return f"team-{self.department.lower().replace(' ', '-').replace('ë', 'e')}@{MAIL_DOMAIN}"


def photo(uid: str) -> bytes:
    comment = uid.encode()
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + b"\xff\xd9")


def people(count: int = 2000, seed: int = 14023) -> list[SamplePerson]:
    rng = random.Random(seed)
    departments = list(DEPARTMENTS)
    leads: dict[str, str] = {}
    result = []
    for number in range(count):
        department = departments[number % len(departments)]
        uid = f"p{number:05d}"
        lead = leads.setdefault(department, uid)
        result.append(SamplePerson(
            uid=uid,
            given=rng.choice(FIRST),
            surname=rng.choice(LAST),
            department=department,
            title="teamleider" if lead == uid else rng.choice(TITLES),
            extension=str(2000 + number),
            mobile=f"06{rng.randrange(10**7, 10**8)}",
            topics=tuple(rng.sample(DEPARTMENTS[department], k=min(2, len(DEPARTMENTS[department])))),
            manager_uid="" if lead == uid else lead,
        ))
    return result


def ldif(sample: list[SamplePerson]) -> Iterator[str]:
    """LDIF for slapadd: the base entries, then every person (inetOrgPerson + bereikPerson)."""
    yield "dn: dc=bloemendaal,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Bloemendaal\ndc: bloemendaal\n"
    yield f"dn: {BASE_DN}\nobjectClass: organizationalUnit\nou: people\n"
    for p in sample:
        lines = [
            f"dn: {p.dn}",
            "objectClass: inetOrgPerson",
            "objectClass: bereikPerson",
            f"uid: {p.uid}",
            _line("cn", p.name),
            _line("sn", p.surname),
            _line("givenName", p.given),
            _line("displayName", p.name),
            _line("ou", p.department),
            _line("title", p.title),
            f"telephoneNumber: {p.extension}",
            f"mobile: {p.mobile}",
            f"mail: {p.email}",
            f"bereikTeamMailbox: {p.team_mailbox}",
            *(_line("businessCategory", t) for t in p.topics),
            f"jpegPhoto:: {base64.b64encode(photo(p.uid)).decode()}",
        ]
        if p.manager_uid:
            lines.append(f"manager: uid={p.manager_uid},{BASE_DN}")
        yield "\n".join(lines) + "\n"


def _line(attribute: str, value: str) -> str:
    if value.isascii():
        return f"{attribute}: {value}"
    return f"{attribute}:: {base64.b64encode(value.encode()).decode()}"


# The schema extension the sample uses for team mailboxes (OpenLDAP has no standard attribute).
SCHEMA = """\
attributetype ( 1.3.6.1.4.1.99999.14023.1.1 NAME 'bereikTeamMailbox'
    DESC 'the shared mailbox of the person team, for call-back requests'
    EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.14023.2.1 NAME 'bereikPerson' SUP top AUXILIARY
    MAY ( bereikTeamMailbox ) )
"""


def index(count: int = 2000, seed: int = 14023):
    """The sample as a DirectoryIndex, as if read from LDAP."""
    from bereik.presence.directory import DirectoryIndex, Person

    return DirectoryIndex({p.uid: Person(
        id=p.uid, dn=p.dn, name=p.name, department=p.department, title=p.title, extension=p.extension,
        mobile=p.mobile, email=p.email, photo=photo(p.uid),
        manager_dn=f"uid={p.manager_uid},{BASE_DN}" if p.manager_uid else "",
        team_mailbox=p.team_mailbox, topics=p.topics,
    ) for p in people(count, seed)}).warm()
