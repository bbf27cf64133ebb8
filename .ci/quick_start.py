"""CI proves the README's first command: `make run` on a clean clone serves the demo.

Runs `make run` as the README says, waits for /healthz and the login page, reads the demo logins
it prints, logs in with one through the JSON API, then stops the service. Uses the standard
library only: it runs before anything but the service's own dependencies is installed, and it
checks that nothing from the test extra was needed.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_URL = "http://127.0.0.1:8080"
# A fresh machine installs every dependency first: that is most of the wait.
START_SECONDS = 600
LOGINS = re.compile(r"every demo user's password is (\S+)")
LOGIN_LINE = re.compile(r"^\s+(admin|intake|caseworker)\s+(\S+@\S+)\s*$")


def fail(message: str, output: Path) -> None:
    print(f"quick start: FAILED: {message}", file=sys.stderr)
    print(output.read_text(errors="replace")[-6000:], file=sys.stderr)
    sys.exit(1)


def get(opener: urllib.request.OpenerDirector, path: str) -> tuple[int, str]:
    try:
        with opener.open(BASE_URL + path, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def wait_until_up(service: subprocess.Popen[bytes], output: Path) -> None:
    opener = urllib.request.build_opener()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if service.poll() is not None:
            fail(f"`make run` exited with {service.returncode} before serving", output)
        try:
            if get(opener, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    fail(f"/healthz did not answer within {START_SECONDS} s", output)


def check_demo(output: Path) -> None:
    text = output.read_text(errors="replace")
    password = LOGINS.search(text)
    logins = [m.groups() for line in text.splitlines() if (m := LOGIN_LINE.match(line))]
    if password is None or not logins:
        fail("the demo logins were not printed", output)
    roles = {role for role, _ in logins}
    if not {"admin", "caseworker"} <= roles:
        fail(f"the demo printed only these roles: {sorted(roles)}", output)
    caseworker = next(email for role, email in logins if role == "caseworker")

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    status, page = get(opener, "/login")
    if status != 200 or 'type="password"' not in page:
        fail(f"the login page answered {status} without a password field", output)
    request = urllib.request.Request(
        BASE_URL + "/api/v1/auth/login",
        data=json.dumps({"email": caseworker, "password": password.group(1)}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=10) as response:
            me = json.loads(response.read())
    except urllib.error.HTTPError as error:
        fail(f"logging in as {caseworker} answered {error.code}", output)
    status, body = get(opener, "/api/v1/auth/me")
    if status != 200 or json.loads(body).get("email") != caseworker:
        fail(f"after logging in, /api/v1/auth/me answered {status}", output)
    print(f"quick start: served the demo; logged in as {caseworker} ({me.get('role')})")


def check_no_test_extra() -> None:
    found = sorted((ROOT / ".venv").glob("lib/python*/site-packages/pytest"))
    if found:
        print("quick start: FAILED: `make run` installed the test extra", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    output = ROOT / "var" / "quick-start.log"
    output.parent.mkdir(exist_ok=True)
    with output.open("wb") as log:
        # Its own process group, so that stopping it stops make and the server under it.
        service = subprocess.Popen(
            ["make", "run"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    started = time.monotonic()
    try:
        wait_until_up(service, output)
        print(f"quick start: `make run` served after {time.monotonic() - started:.0f} s")
        check_demo(output)
        check_no_test_extra()
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGTERM)
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(service.pid, signal.SIGKILL)
                service.wait()


if __name__ == "__main__":
    main()
