"""A real Janus (Debian's ``janus``, its VideoRoom plugin) for one test, on 127.0.0.1.

The config is generated: only the VideoRoom plugin and the WebSocket API transport, an API
secret and a room admin key of the test's own, media ports from a free range, ICE on loopback
only. Janus is started inside the test's loopback-only namespace and stopped by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aioice.ice
import pytest

JANUS = shutil.which("janus") or "/usr/bin/janus"
LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")
OTHER_PLUGINS = (
    "audiobridge duktape echotest lua nosip recordplay sip streaming textroom videocall voicemail"
)
OTHER_TRANSPORTS = "http mqtt nanomsg pfunix rabbitmq"
# Janus never gathers candidates on a loopback interface, so inside the fence it gets a bridge
# without ports of its own: a local address with no way out (tests/conftest.py accepts it as fenced).
INTERFACE = "kfence0"
ADDRESS = "10.213.0.1"


@dataclasses.dataclass
class JanusGateway:
    url: str
    api_secret: str
    admin_key: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def settings(self) -> dict[str, str]:
        """The service's settings that point at this Janus (``make_settings`` overrides)."""
        return {
            "janus_urls": self.url,
            "janus_api_secret": self.api_secret,
            "janus_admin_key": self.admin_key,
        }


def _libraries(kind: str, names: str) -> str:
    return ",".join(f"libjanus_{name}.so" for name in names.split())


def _free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    directory: Path, *, ws_port: int, rtp_first: int, api_secret: str, admin_key: str
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "janus.jcfg").write_text(
        f"""general: {{
    configs_folder = "{directory}"
    plugins_folder = "{LIBRARIES / "plugins"}"
    transports_folder = "{LIBRARIES / "transports"}"
    events_folder = "{LIBRARIES / "events"}"
    loggers_folder = "{LIBRARIES / "loggers"}"
    debug_level = 4
    api_secret = "{api_secret}"
    session_timeout = 60
    server_name = "kohtaamo-test"
}}
plugins: {{ disable = "{_libraries("plugins", OTHER_PLUGINS)}" }}
transports: {{ disable = "{_libraries("transports", OTHER_TRANSPORTS)}" }}
loggers: {{ disable = "libjanus_jsonlog.so" }}
events: {{ broadcast = false }}
media: {{
    rtp_port_range = "{rtp_first}-{rtp_first + 399}"
    slowlink_threshold = 4
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "{INTERFACE}"
}}
"""
    )
    (directory / "janus.transport.websockets.jcfg").write_text(
        f"""general: {{
    json = "compact"
    ws = true
    ws_port = {ws_port}
    ws_ip = "127.0.0.1"
    wss = false
    admin_ws = false
}}
"""
    )
    (directory / "janus.plugin.videoroom.jcfg").write_text(
        f"""general: {{
    admin_key = "{admin_key}"
    lock_rtp_forward = true
    string_ids = true
}}
"""
    )


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def fenced_interface() -> Iterator[str]:
    """The dummy interface Janus gathers on, for as long as the block runs."""
    subprocess.run(["ip", "link", "add", INTERFACE, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", f"{ADDRESS}/24", "dev", INTERFACE], check=True)
        subprocess.run(["ip", "link", "set", INTERFACE, "up"], check=True)
        yield ADDRESS
    finally:
        subprocess.run(["ip", "link", "delete", INTERFACE], check=False)


@contextlib.contextmanager
def running_janus(directory: Path, *, like: JanusGateway | None = None) -> Iterator[JanusGateway]:
    """Janus on a free port, stopped (and its log kept in ``directory``) on the way out; with
    ``like``, with that gateway's secrets (as the gateways of one deployment share them)."""
    if not Path(JANUS).exists():
        reason = "Janus is not installed (apt-get install janus)"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    port = _free_tcp_port()
    api_secret = like.api_secret if like else f"janus-api-{os.urandom(8).hex()}"
    admin_key = like.admin_key if like else f"janus-rooms-{os.urandom(8).hex()}"
    write_config(
        directory,
        ws_port=port,
        rtp_first=20000 + (port % 400) * 100,
        api_secret=api_secret,
        admin_key=admin_key,
    )
    log = directory / "janus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [JANUS, "-F", str(directory), "-C", str(directory / "janus.jcfg"), "-o"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    gateway = JanusGateway(f"ws://127.0.0.1:{port}/", api_secret, admin_key, log, process)
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Janus did not start:\n{gateway.log_text()}")
            time.sleep(0.05)
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def wait_for_log(gateway: JanusGateway, text: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while text not in gateway.log_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"Janus never logged {text!r}")
        await asyncio.sleep(0.1)


@pytest.fixture
def janus(fenced_network: None, tmp_path: Path) -> Iterator[JanusGateway]:
    with fenced_interface(), running_janus(tmp_path / "janus") as gateway:
        yield gateway


@pytest.fixture
def sfu_ice(janus: JanusGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiortc peers gather on Janus's fenced interface: libnice pairs no loopback candidate."""

    def fenced(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [ADDRESS] if use_ipv4 else []

    monkeypatch.setattr(aioice.ice, "get_host_addresses", fenced)
