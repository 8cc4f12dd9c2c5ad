"""`bereik run` builds the console's directory with presence from the YAML: LDAP (a real slapd) or,
without it, the YAML's own people and agents; behind the console's login; secrets never in the YAML."""
from __future__ import annotations

import io
from pathlib import Path

import aiohttp
import pytest
from presence_slapd import ROOT_DN, ROOT_PASSWORD, free_port
from ruamel.yaml import YAML

from bereik.cli import main
from bereik.config import ConfigError, parse_config
from bereik.console.auth import Verdict
from bereik.presence import sample
from bereik.presence.configured import check_secrets, people_in
from bereik.secrets import AMI_SECRET, GRAPH_SECRET, LDAP_SECRET, SecretError, Secrets, write_new_secrets_file
from bereik.service import Service

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
SECRETS = {AMI_SECRET: "unit-" + "x" * 27}


def yaml_with(tmp_path: Path, presence: dict | None = None) -> str:
    """The example YAML with the console on, its stores in `tmp_path`, every port free, and `presence`."""
    document = YAML(typ="safe").load(EXAMPLE.read_text())
    document["pbx"] = {**document.get("pbx", {}), "agi": "127.0.0.1:0", "ami": f"127.0.0.1:{free_port()}"}
    document["wallboard"] = {"listen": "127.0.0.1:0"}
    document["records"] = {"store": str(tmp_path / "calls.sqlite3"), "asterisk_cel": None}
    document["waiting"] = {**document.get("waiting", {}), "callback_store": str(tmp_path / "callbacks.sqlite3")}
    document["back_office"] = {**document.get("back_office", {}),
                               "forwarding_store": str(tmp_path / "forwarding.sqlite3")}
    document["console"] = {"listen": "127.0.0.1:0", "secure_cookies": False,
                           "recordings_dir": str(tmp_path / "recordings"), "users": [{"login": "anna"}]}
    if presence is not None:
        document["presence"] = presence
    text = io.StringIO()
    YAML().dump(document, text)
    return text.getvalue()


class AnnaOnly:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("anna", "anna-pw") else None


async def directory_search(service: Service, query: str) -> dict:
    """What the console's search asks, first without a session (refused), then logged in as Anna."""
    base = f"http://127.0.0.1:{service.console.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # an IP address
        async with browser.get(f"{base}/api/directory", params={"q": query}, allow_redirects=False) as refused:
            assert refused.status == 401, "the directory must be behind the login"
        async with browser.post(f"{base}/login", data={"login": "anna", "password": "anna-pw"},
                                allow_redirects=False) as login:
            assert login.status == 303, await login.text()
        async with browser.get(f"{base}/api/directory", params={"q": query}) as found:
            assert found.status == 200, await found.text()
            return await found.json()


@pytest.fixture
async def started():
    services = []

    async def start(yaml: str, secrets: dict[str, str]) -> Service:
        service = Service(parse_config(yaml), Secrets(secrets), Path("/nonexistent-sounds"))
        service.console.authenticator = AnnaOnly()
        services.append(service)
        await service.start()
        return service
    yield start
    for service in services:
        await service.stop()


async def test_the_console_searches_the_ldap_directory_and_starts_while_ldap_is_down(tmp_path, small_slapd, started):
    wanted = small_slapd.people[7]
    small_slapd.stop()  # down when bereik starts: bereik starts all the same, the directory says it is down
    yaml = yaml_with(tmp_path, {"ldap": {"url": small_slapd.url, "base_dn": sample.BASE_DN, "bind_dn": ROOT_DN},
                                "absences_store": str(tmp_path / "absences.sqlite3")})
    service = await started(yaml, {**SECRETS, LDAP_SECRET: ROOT_PASSWORD})
    assert service.agi.port, "routing listens although LDAP is down"
    down = await directory_search(service, wanted.surname)
    assert down["people"] == [] and down["sources"]["directory"]["up"] is False

    small_slapd.start()
    await service.presence.service.directory.refresh()  # what the next periodic refresh does
    found = await directory_search(service, f"{wanted.given} {wanted.surname}")
    assert wanted.uid in [p["id"] for p in found["people"]]
    person = next(p for p in found["people"] if p["id"] == wanted.uid)
    assert person["extension"] == wanted.extension and person["email"] == wanted.email
    # AMI is not there in this test: no phone state, so never "available".
    assert person["presence"]["status"] == "unknown"
    assert found["sources"]["directory"]["up"] is True


async def test_without_ldap_the_console_searches_the_yamls_people_and_agents(tmp_path, started):
    yaml = yaml_with(tmp_path, {"absences_store": str(tmp_path / "absences.sqlite3")})
    config = parse_config(yaml)
    colleague, agent = config.people[0], config.agents[0]
    service = await started(yaml, SECRETS)
    found = await directory_search(service, colleague.name.split()[0])
    assert (colleague.extension, colleague.name) in [(p["extension"], p["name"]) for p in found["people"]]
    department = config.department_of(colleague.extension)
    assert next(p for p in found["people"] if p["extension"] == colleague.extension)["department"] == \
        (department.name if department else "")
    found = await directory_search(service, agent.name)
    assert [p["extension"] for p in found["people"]] == [agent.extension]
    assert found["people"][0]["department"] == config.queue(config.front_office).name


def test_the_yaml_directory_holds_every_person_and_agent_once():
    config = parse_config(EXAMPLE.read_text())
    people = people_in(config)
    assert set(people) == {p.extension for p in config.people} | {a.extension for a in config.agents}
    assert all(person.id == person.extension for person in people.values())


def test_a_bind_dn_without_its_password_refuses_to_start_and_says_which_secret(tmp_path):
    yaml = yaml_with(tmp_path, {"ldap": {"url": "ldap://127.0.0.1:389", "base_dn": sample.BASE_DN,
                                         "bind_dn": ROOT_DN}})
    with pytest.raises(SecretError, match=f"bind_dn is set.*{LDAP_SECRET} is missing"):
        check_secrets(parse_config(yaml), Secrets(SECRETS))
    # An anonymous bind needs no secret.
    anonymous = yaml_with(tmp_path, {"ldap": {"url": "ldap://127.0.0.1:389", "base_dn": sample.BASE_DN}})
    check_secrets(parse_config(anonymous), Secrets(SECRETS))


def test_bereik_run_refuses_a_bind_dn_until_its_password_is_filled_into_the_new_secrets_file(
        tmp_path, monkeypatch, capsys):
    for key in (AMI_SECRET, LDAP_SECRET, GRAPH_SECRET):
        monkeypatch.delenv(key, raising=False)
    secrets_file = write_new_secrets_file(tmp_path / "secrets.env")
    assert f"# {LDAP_SECRET}=" in secrets_file.read_text() and f"# {GRAPH_SECRET}=" in secrets_file.read_text()
    yaml = tmp_path / "bereik.yaml"
    yaml.write_text(yaml_with(tmp_path, {"ldap": {"url": "ldap://127.0.0.1:389", "base_dn": sample.BASE_DN,
                                                  "bind_dn": ROOT_DN}}))
    assert main(["run", str(yaml), "--sounds", str(tmp_path), "--secrets", str(secrets_file)]) == 1
    told = capsys.readouterr().err
    assert f"presence.ldap.bind_dn is set, so bereik needs its password as {LDAP_SECRET}" in told
    monkeypatch.setenv(LDAP_SECRET, ROOT_PASSWORD)  # the environment may hold it too
    check_secrets(parse_config(yaml.read_text()), Secrets.load(secrets_file))


def test_graph_without_its_client_secret_refuses_to_start(tmp_path):
    yaml = yaml_with(tmp_path, {"graph": {"tenant": "bloemendaal.onmicrosoft.com", "client_id": "c0ffee",
                                          "schedule_mailbox": "agenda@bloemendaal.nl"}})
    with pytest.raises(SecretError, match="BEREIK_GRAPH_SECRET is missing"):
        check_secrets(parse_config(yaml), Secrets(SECRETS))


@pytest.mark.parametrize(("presence", "told"), [
    ({"ldap": {"url": "ldaps://dc1.bloemendaal.nl", "base_dn": "dc=x", "start_tls": True}},
     "start_tls: ldaps:// is encrypted from the start; set start_tls: false"),
    ({"ldap": {"url": "dc1.bloemendaal.nl", "base_dn": "dc=x"}},
     "url: 'dc1.bloemendaal.nl' is not an LDAP server address such as ldap://"),
    ({"ldap": {"url": "ldap://dc1", "base_dn": "dc=x", "password": "hunter2"}},
     "unknown key 'password'"),
    ({"ldap": {"url": "ldap://dc1", "base_dn": "dc=x", "attributes": "novell"}},
     "attributes: 'novell' is not one of 'openldap' or 'active_directory'"),
    ({"device_template": "SIP/{ext}"}, "must name the device with {extension}"),
    ({"graph": {"tenant": "t", "client_id": "c", "schedule_mailbox": "agenda"}},
     "schedule_mailbox: 'agenda' is not an e-mail address"),
])
def test_a_wrong_presence_section_tells_the_administrator_what_to_do(tmp_path, presence, told):
    with pytest.raises(ConfigError) as error:
        parse_config(yaml_with(tmp_path, presence))
    assert told in str(error.value)


def test_the_example_needs_no_presence_section():
    config = parse_config(EXAMPLE.read_text())
    assert config.presence.ldap is None and config.presence.device_template == "PJSIP/{extension}"
