"""One way to make pages: Jinja2 templates with auto-escaping, and static CSS and JavaScript files.

No page has an inline script or style (the console's Content-Security-Policy allows neither:
`script-src 'self'; style-src 'self'`): every page links its stylesheet and script from
STATIC, and what a script needs travels in a data- attribute. The console, an aiohttp
application of its own, renders through aiohttp-jinja2 (`setup`); the wallboard and report
routes, which any application may mount, and the report and what-if files use `render`.
Both use the templates in TEMPLATES with the same options.
"""
from __future__ import annotations

import functools
import shutil
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
_OPTIONS = {"autoescape": True, "undefined": jinja2.StrictUndefined, "trim_blocks": True, "lstrip_blocks": True}


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), **_OPTIONS)


def render(name: str, /, **context) -> str:
    return environment().get_template(name).render(**context)


def setup(app: web.Application) -> None:
    """Let aiohttp_jinja2.render_template find the templates in `app`."""
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), **_OPTIONS)


def static_route(prefix: str) -> web.RouteDef:
    """The static files under `prefix` (e.g. /wallboard/static), for routes mounted on any application."""
    return web.static(prefix, STATIC, append_version=True)


def copy_static(name: str, directory: Path) -> Path:
    """A static file next to a page written to disk (the report, the what-if), which links it by name."""
    return Path(shutil.copyfile(STATIC / name, directory / name))
