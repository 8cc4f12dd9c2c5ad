"""A regional platform as its operator describes it: Kamailio in front, Asterisk nodes behind it, and the
municipalities it carries, each in its own YAML.

Each municipality keeps its own file (the model of `bereik.config`), its own Asterisk instance on every node,
its own bereik beside each instance and its own store: separate controllers under the AVG. The platform file
says only what they share: the trunk, Kamailio, the nodes, and which ports each municipality's instance uses
on every node. `bereik.platform.load` reads it and gives each municipality's configuration as its node sees it.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bereik.config.model import HostPort, Identifier, IPv4, Strict

Port = Annotated[int, Field(ge=1024, le=65535)]


class Kamailio(Strict):
    """The SIP proxy in front of the nodes (Debian's kamailio with its dispatcher module)."""

    listen: HostPort = Field(description="Where the trunk sends calls and the nodes send calls out, address:port")
    check_every_seconds: int = Field(
        default=1, ge=1, le=60, description="How often Kamailio asks every Asterisk instance whether it is alive "
        "(SIP OPTIONS)")
    down_after_missed: int = Field(
        default=2, ge=1, le=10, description="Unanswered checks in a row after which an instance gets no new calls")
    up_after_answered: int = Field(
        default=2, ge=1, le=10, description="Answered checks in a row after which an instance that was down gets "
        "new calls again")
    failover_after_ms: int = Field(
        default=1500, ge=200, le=10000, description="How long Kamailio waits for a first reply to a call before it "
        "offers the call to the next node (and to a check before it counts as unanswered)")


class Node(Strict):
    """A machine with one Asterisk instance and one bereik per municipality."""

    name: Identifier = Field(description="Kept with every call record; `bereik run --server NAME` picks this one")
    address: IPv4 = Field(description="The node's address: its Asterisk instances and bereiks listen here")


class Member(Strict):
    """A municipality on the platform: its YAML, and the ports its Asterisk instance and bereik use on every node."""

    file: str = Field(min_length=1, description="The municipality's YAML, relative to this file")
    id: Identifier | None = Field(
        default=None, description="Short name for its Asterisk instance (/etc/asterisk-<id>), files and dispatcher "
        "set; default: its name in lower case (Bloemendaal: bloemendaal)")
    sip_port: Port = Field(description="Its Asterisk instance's SIP port on every node")
    ami_port: Port = Field(description="Its Asterisk instance's Manager Interface port on every node")
    agi_port: Port = Field(description="Its bereik's FastAGI port on every node")


class Platform(Strict):
    """A regional platform: several municipalities on one Kamailio and several Asterisk nodes."""

    version: Literal[1] = Field(default=1, description="The version of this file's format; 1")
    platform: str = Field(min_length=1, max_length=80, description="The platform's name, e.g. Regio Kennemerland")
    trunk: list[HostPort] = Field(
        min_length=1, description="The trunk's addresses (the carrier's SBCs): the only sources of outside calls, "
        "and where calls out go, the first that answers")
    kamailio: Kamailio = Field(description="The SIP proxy in front of the nodes")
    nodes: list[Node] = Field(min_length=1, description="The Asterisk nodes; every municipality has an Asterisk "
                              "instance on each")
    municipalities: list[Member] = Field(min_length=1, description="The municipalities the platform carries")
    data_dir: str = Field(
        default="/var/lib/bereik", pattern=r"^/", description="Each municipality's files (call-backs, forwards, "
        "absences, spool) live in <data_dir>/<id>/ unless its YAML names them")

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)
