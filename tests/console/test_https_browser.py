"""The console as deployed: bereik serves https on the server's address, an agent's Chromium on another
host (each a network namespace of the test's own). The session, in its Secure cookie, holds across pages and
opens the wallboard on its own https port; logging out (in another tab) closes the screen-pop socket and the
wallboard's within a second, and the tab shows the login."""
import asyncio
import base64
import hashlib
import socket
import ssl
import subprocess
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright, expect

from bereik.console.tls import ReloadingTls
from bereik.sandbox.isolation import call_in
from bereik.wallboard.floor import Floor
from bereik.wallboard.web import Hub, WebServer, wallboard_routes
from console_helpers import Console, console_config
from test_web_security import certificate
from tests.ami_facts import told

PORT = 8443
BOARD_PORT = 8444  # the wallboard's own port, behind the console's login, https with the same certificate
T = 1795424400.0  # Monday 2026-11-23 10:00 in Amsterdam


def spki_hash(certificate_path: Path) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list takes: the key's SHA-256, base64."""
    public = subprocess.run(["openssl", "x509", "-in", str(certificate_path), "-pubkey", "-noout"],
                            capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def listening_socket(address: str, port: int = PORT) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(64)
    return sock


async def test_over_https_from_another_host_the_session_holds_and_logout_closes_the_socket_at_once(
        hosts, chromium, console, tmp_path):
    network = hosts("server", "desk")
    server = network.addresses["server"]
    cert, key = certificate(tmp_path / "tls", "bereik-console", address=server)
    console.settings = console_config(tmp_path / "recordings", secure_cookies=True).console
    tls = ReloadingTls(cert, key)
    runner = web.AppRunner(console.app())
    await runner.setup()
    # The console listens on the server host only, with https, as `bereik run` does with tls_certificate.
    await web.SockSite(runner, call_in(network.namespace("server"), listening_socket, server),
                       ssl_context=tls.context).start()
    # And the wallboard on its own port, behind the console's login, as `bereik run` serves it.
    floor = Floor(console.config.zone, 30)
    told(floor, {"Event": "QueueCallerJoin", "Uniqueid": "c0", "Queue": "tic", "Timestamp": str(T - 95)})
    board = WebServer(wallboard_routes(lambda: floor.snapshot(T), Hub()), server, BOARD_PORT,
                      console.wallboard_middlewares(), ssl_context=tls.context)
    board_runner = web.AppRunner(board.app)
    await board_runner.setup()
    await web.SockSite(board_runner, call_in(network.namespace("server"), listening_socket, server, BOARD_PORT),
                       ssl_context=tls.context).start()
    launcher = tmp_path / "chromium-on-the-desk"
    program, arguments = chromium
    launcher.write_text(f'#!/bin/sh\nexec ip netns exec {network.namespace("desk")} {program} "$@"\n')
    launcher.chmod(0o755)
    base = f"https://{server}:{PORT}"
    try:
        async with async_playwright() as playwright:
            # The certificate is trusted by its key, not waved through: the page is a secure context.
            browser = await playwright.chromium.launch(executable_path=str(launcher), args=[
                *arguments, f"--ignore-certificate-errors-spki-list={spki_hash(cert)}"])
            context = await browser.new_context()
            page = await context.new_page()
            closed: list[float] = []
            loop = asyncio.get_running_loop()
            page.on("websocket", lambda ws: ws.on("close", lambda *_: closed.append(loop.time()))
                    if ws.url.endswith("/api/stream") else None)
            board_closed: list[float] = []
            await page.goto(base + "/")
            await page.fill("#login", "anna")
            await page.fill("#password", "anna-pw")
            await page.press("#password", "Enter")
            await page.wait_for_selector("#screenpop")
            assert await page.evaluate("() => window.isSecureContext")
            [cookie] = [c for c in await context.cookies() if c["name"] == "bereik_session"]
            assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            await page.reload()  # the session holds: the browser sent the Secure cookie back
            assert "Anna de Vries" in await page.inner_text("header, body")
            assert page.url == base + "/"
            # Polled with evaluate: the page's CSP forbids the eval behind wait_for_function.
            for _ in range(100):
                if await page.evaluate("() => window.bereikSocket && window.bereikSocket.readyState === 1"):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the screen-pop socket did not open")

            # The wallboard on its own https port takes the same session (cookies are per host, not port).
            wall = await context.new_page()
            wall.on("websocket", lambda ws: ws.on("close", lambda *_: board_closed.append(loop.time())))
            await wall.goto(f"https://{server}:{BOARD_PORT}/wallboard/")
            await expect(wall.locator("#waiting")).to_have_text("1", timeout=5000)
            assert await wall.inner_text("#longest") == "1:35"

            other = await context.new_page()  # the agent logs out in another tab
            await other.goto(base + "/")
            # Timed from the request, not its response: the logging-out tab's own socket closes first and
            # its script goes to /login, which can abort the POST's navigation before Chromium sees the answer.
            async with other.expect_request(lambda r: r.url.endswith("/logout") and r.method == "POST"):
                await other.click("form[action='/logout'] button")
            logged_out = loop.time()
            await expect(other.locator("#login")).to_be_visible(timeout=5000)  # both tabs show the login form
            await expect(page.locator("#login")).to_be_visible(timeout=3000)
            assert closed and closed[0] - logged_out < 1.0, (closed, logged_out)
            assert page.url == base + "/login"
            for _ in range(20):  # the wallboard's socket ended with the session as well
                if board_closed:
                    break
                await asyncio.sleep(0.05)
            assert board_closed and board_closed[0] - logged_out < 1.0, (board_closed, logged_out)
            await browser.close()
    finally:
        await board_runner.cleanup()
        await runner.cleanup()
