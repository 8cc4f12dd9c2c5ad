"""The console as deployed: bereik serves https on the server's address, an agent's Chromium on another
host (each a network namespace of the test's own). The session, in its Secure cookie, holds across pages;
logging out (in another tab) closes the screen-pop socket within a second, and the tab shows the login."""
import asyncio
import base64
import hashlib
import socket
import ssl
import subprocess
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from bereik.console.tls import ReloadingTls
from bereik.sandbox.isolation import call_in
from console_helpers import Console, console_config
from test_web_security import certificate

PORT = 8443


def spki_hash(certificate_path: Path) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list takes: the key's SHA-256, base64."""
    public = subprocess.run(["openssl", "x509", "-in", str(certificate_path), "-pubkey", "-noout"],
                            capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def listening_socket(address: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, PORT))
    sock.listen(64)
    return sock


async def test_over_https_from_another_host_the_session_holds_and_logout_closes_the_socket_at_once(
        hosts, chromium, console, tmp_path):
    network = hosts("server", "desk")
    server = network.addresses["server"]
    cert, key = certificate(tmp_path / "tls", "bereik-console", address=server)
    console.settings = console_config(tmp_path / "recordings", secure_cookies=True).console
    runner = web.AppRunner(console.app())
    await runner.setup()
    # The console listens on the server host only, with https, as `bereik run` does with tls_certificate.
    await web.SockSite(runner, call_in(network.namespace("server"), listening_socket, server),
                       ssl_context=ReloadingTls(cert, key).context).start()
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
            await page.goto(base + "/")
            await page.fill("#login", "anna")
            await page.fill("#password", "anna-pw")
            await page.press("#password", "Enter")
            await page.wait_for_selector("#screenpop")
            assert await page.evaluate("() => window.isSecureContext")
            [cookie] = [c for c in await context.cookies() if c["name"] == "bereik_session"]
            assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            await page.reload()  # the session holds: the browser sent the Secure cookie back
            assert "anna" in await page.inner_text("header, body")
            assert page.url == base + "/"
            await page.wait_for_function("() => window.bereikSocket && window.bereikSocket.readyState === 1")

            other = await context.new_page()  # the agent logs out in another tab
            await other.goto(base + "/")
            async with other.expect_response(lambda r: r.url.endswith("/logout")):
                await other.click("form[action='/logout'] button")
            logged_out = loop.time()  # the server has answered the logout
            await page.wait_for_selector("#login", timeout=3000)  # the first tab shows the login form
            assert closed and closed[0] - logged_out < 1.0, (closed, logged_out)
            assert page.url == base + "/login"
            await browser.close()
    finally:
        await runner.cleanup()
