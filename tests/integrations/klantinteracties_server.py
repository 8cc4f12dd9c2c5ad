"""A local Klantinteracties API for the tests: the three resources bereik creates, with request bodies checked
against the shapes VNG's Klantinteracties API publishes (Open Klant's openapi.yaml, version 0.9.0:
KlantcontactRequest, BetrokkeneRequest, DigitaalAdresRequest, written out here by hand for what bereik sends),
strictly: a field the API does not know is refused too. Answers 201 with a uuid and url, as the API does;
`fail_next[resource] = n` makes the next n creations answer 503 (a registration that is down)."""
from __future__ import annotations

import uuid

import jsonschema
from aiohttp import web

FOREIGN_KEY = {"type": "object", "properties": {"uuid": {"type": "string", "format": "uuid"}},
               "required": ["uuid"], "additionalProperties": False}
NULLABLE_KEY = {"anyOf": [{"type": "null"}, FOREIGN_KEY]}

SCHEMAS = {
    "klantcontacten": {
        "type": "object", "additionalProperties": False,
        "required": ["kanaal", "onderwerp", "taal", "vertrouwelijk"],
        "properties": {
            "nummer": {"type": ["string", "null"], "maxLength": 10},
            "referentienummer": {"type": ["string", "null"], "maxLength": 10},
            "kanaal": {"type": "string", "maxLength": 50},
            "onderwerp": {"type": "string", "maxLength": 200},
            "inhoud": {"type": "string", "maxLength": 1000},
            "reactie": {"type": "string", "maxLength": 4000},
            "indicatieContactGelukt": {"type": ["boolean", "null"]},
            "hoofdOnderwerpType": {"type": "string", "format": "uri", "maxLength": 200},
            "verdereActieOndernomen": {"type": "boolean"},
            "taal": {"type": "string", "maxLength": 3},
            "vertrouwelijk": {"type": "boolean"},
            # date-time (RFC 3339): jsonschema checks that format only with an extra package, so spelled out
            "plaatsgevondenOp": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"},
            "metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 255}},
        }},
    "betrokkenen": {
        "type": "object", "additionalProperties": False,
        "required": ["hadKlantcontact", "initiator", "rol"],
        "properties": {
            "wasPartij": NULLABLE_KEY, "hadKlantcontact": FOREIGN_KEY,
            "bezoekadres": {"type": ["object", "null"]}, "correspondentieadres": {"type": ["object", "null"]},
            "contactnaam": {"type": ["object", "null"]},
            "rol": {"enum": ["vertegenwoordiger", "klant"]},
            "organisatienaam": {"type": "string", "maxLength": 200},
            "initiator": {"type": "boolean"},
        }},
    "digitaleadressen": {
        "type": "object", "additionalProperties": False,
        "required": ["adres", "soortDigitaalAdres"],
        "properties": {
            "verstrektDoorBetrokkene": NULLABLE_KEY, "verstrektDoorPartij": NULLABLE_KEY,
            "adres": {"type": "string", "maxLength": 80},
            "soortDigitaalAdres": {"enum": ["email", "telefoonnummer", "overig"]},
            "isStandaardAdres": {"type": "boolean"},
            "omschrijving": {"type": "string", "maxLength": 40},
            "referentie": {"type": "string", "maxLength": 50, "pattern": "^[-a-zA-Z0-9_]+$"},
            "verificatieDatum": {"type": ["string", "null"], "format": "date"},
        },
        # The API's check of a telephone number.
        "if": {"properties": {"soortDigitaalAdres": {"const": "telefoonnummer"}}},
        "then": {"properties": {"adres": {"pattern": r"^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$"}}}},
}


class KlantinteractiesApi:
    def __init__(self, token: str):
        self.token = token
        self.created: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
        self.refused: list[str] = []
        self.fail_next: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/klantinteracties/api/v1/{resource}", self.create)
        return app

    async def create(self, request: web.Request) -> web.Response:
        resource = request.match_info["resource"]
        if request.headers.get("Authorization") != f"Token {self.token}":
            return web.json_response({"detail": "Authenticatiegegevens zijn niet opgegeven."}, status=403)
        if resource not in SCHEMAS:
            raise web.HTTPNotFound()
        if self.fail_next.get(resource):
            self.fail_next[resource] -= 1
            return web.json_response({"detail": "even niet"}, status=503)
        body = await request.json()
        try:
            jsonschema.validate(body, SCHEMAS[resource], format_checker=jsonschema.FormatChecker())
        except jsonschema.ValidationError as problem:
            self.refused.append(f"{resource}: {problem.message}")
            return web.json_response({"invalidParams": [{"reason": problem.message}]}, status=400)
        made = {**body, "uuid": str(uuid.uuid4())}
        made["url"] = f"{request.url.origin()}/klantinteracties/api/v1/{resource}/{made['uuid']}"
        self.created[resource].append(made)
        return web.json_response(made, status=201)
