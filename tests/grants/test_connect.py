"""`social-warehouse connect`: the authorization-code flow against the sandbox, as an operator
runs it (a subprocess reading the redirected address from stdin), the connection it prints or
stores in Airflow's metadata database, and that connection loading an account."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from social_warehouse import onboarding, paths
from social_warehouse.config import load_brands
from social_warehouse.errors import ConfigError
from social_warehouse.extract import run_account_load
from social_warehouse.runner import run_clock
from social_warehouse.sandbox.server import Sandbox
from tests.helpers import fast_settings

DAY = dt.date(2026, 11, 20)
SW = str(Path(sys.executable).parent / "social-warehouse")
CHANNEL = next(a.account_id for b in load_brands() for a in b.accounts if a.network == "youtube")
ORGS = [a.account_id for b in load_brands() for a in b.accounts if a.network == "linkedin"]


@pytest.fixture
def csb(sb: Sandbox, warehouse_url: str) -> Sandbox:
    sb.state.clock = run_clock(DAY)
    return sb


def new_client(sandbox: Sandbox, network: str) -> dict[str, str]:
    return requests.post(
        f"{sandbox.url}/_sandbox/oauth/clients", json={"network": network}, timeout=10
    ).json()


def consent(url: str, login_hint: str) -> str:
    """What the owner's browser does: open the authorize URL (the sandbox consents at once for
    the accounts in login_hint) and land on the redirect address."""
    response = requests.get(f"{url}&login_hint={login_hint}", allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def run_connect(
    sandbox: Sandbox,
    network: str,
    grant: str,
    client: dict[str, str],
    login_hint: str,
    *extra_args: str,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], str]:
    """`social-warehouse connect ... --no-browser` as a subprocess: read the URL it prints,
    consent, feed the redirected address on stdin. Returns the finished process and the URL."""
    base = sandbox.base_url(network)
    command = [
        SW,
        "connect",
        network,
        "--grant",
        grant,
        "--no-browser",
        "--client-id",
        client["client_id"],
        "--api-base-url",
        base,
        "--auth-base-url",
        base,
        *extra_args,
    ]
    environment = {
        **os.environ,
        **(env or {}),
        onboarding.SECRET_VARIABLE: client["client_secret"],
    }
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stdin and process.stderr
    lines: queue.Queue[str] = queue.Queue()
    said: list[str] = []

    def read_stderr() -> None:
        assert process.stderr
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read_stderr, daemon=True).start()
    url = ""
    while not url:
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            process.kill()
            pytest.fail(f"connect printed no URL: {''.join(said)}")
        said.append(line)
        if line.strip().startswith("http"):
            url = line.strip()
    process.stdin.write(consent(url, login_hint) + "\n")
    process.stdin.close()
    stdout = process.stdout.read() if process.stdout else ""
    process.wait(timeout=120)
    while not lines.empty():
        said.append(lines.get())
    return subprocess.CompletedProcess(command, process.returncode, stdout, "".join(said)), url


def printed_connection(stdout: str, grant: str) -> str:
    prefix = f"AIRFLOW_CONN_{grant.upper()}="
    line = next(line for line in stdout.splitlines() if line.startswith(prefix))
    return shlex.split(line[len(prefix) :])[0]


def grant_stats(sandbox: Sandbox, client_id: str) -> list[dict[str, Any]]:
    rows = requests.get(f"{sandbox.url}/_sandbox/oauth/stats", timeout=10).json()["grants"]
    return [r for r in rows if r["client_id"] == client_id]


def test_connect_youtube_no_browser_completes_and_its_connection_loads(
    csb, warehouse_url, monkeypatch
):
    client = new_client(csb, "youtube")
    result, url = run_connect(csb, "youtube", "test", client, CHANNEL, "--print")
    assert result.returncode == 0, result.stderr
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert query["access_type"] == "offline" and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"].startswith("http%3A%2F%2F127.0.0.1")
    assert CHANNEL in result.stdout and "can read 1 account(s)" in result.stdout
    value = printed_connection(result.stdout, "test")
    connection = json.loads(value)
    assert connection["login"] == client["client_id"]
    assert connection["password"] == client["client_secret"]
    assert connection["extra"]["token_url"] == f"{csb.base_url('youtube')}/token"
    refresh_token = connection["extra"]["refresh_token"]
    assert refresh_token not in result.stderr, "only the connection itself may show a secret"
    monkeypatch.setenv("AIRFLOW_CONN_TEST", value)
    loaded = run_account_load(
        "youtube",
        CHANNEL,
        DAY,
        url=warehouse_url,
        run_id="connect_test",
        settings=fast_settings("youtube"),
        grant_name="test",
    )
    assert loaded.records > 0
    [stats] = grant_stats(csb, client["client_id"])
    assert (stats["exchanges"], stats["refreshes"]) == (1, 1)
    assert stats["accounts"] == [CHANNEL]


def test_connect_stores_the_grant_in_airflows_metadata_database(csb, warehouse_url, airflow_home):
    client = new_client(csb, "linkedin")
    env = {"AIRFLOW_HOME": airflow_home, "WAREHOUSE_URL": warehouse_url}
    result, _ = run_connect(csb, "linkedin", "linkedin_meta", client, ",".join(ORGS[:2]), env=env)
    assert result.returncode == 0, result.stderr
    assert "Stored Airflow connection 'linkedin_meta' in the Airflow metadata database" in (
        result.stdout
    )
    assert all(org in result.stdout for org in ORGS[:2])
    command = ["extract", "--network", "linkedin", "--account", ORGS[1], "--date", str(DAY)]
    extract = subprocess.run(
        [SW, *command, "--grant", "linkedin_meta"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )
    assert extract.returncode == 0, extract.stderr[-2000:]
    summary = json.loads(extract.stdout[extract.stdout.index("{") :])
    assert summary["records"] > 0 and not summary["errors"]
    assert client["client_secret"] not in extract.stdout + extract.stderr


def test_connect_instagram_keeps_the_linked_pages_token_and_writes_the_accounts(csb, tmp_path):
    accounts_file = tmp_path / "accounts.yml"
    shutil.copy(paths.config_dir() / "accounts.yml", accounts_file)
    client = new_client(csb, "instagram")
    new_account = "17841400000000077"
    existing = next(
        a.account_id for b in load_brands() for a in b.accounts if a.network == "instagram"
    )
    said: list[str] = []
    out: list[str] = []

    class Browser:
        def readline(self) -> str:
            url = next(line.strip() for line in said if line.strip().startswith("http"))
            return consent(url, f"{new_account},{existing}")

    result = onboarding.connect(
        "instagram",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        grant="instagram_lumen",
        no_browser=True,
        print_connection=True,
        api_base_url=csb.base_url("instagram"),
        auth_base_url=csb.base_url("instagram"),
        accounts_file=accounts_file,
        brand="lumen_outdoor",
        stdin=Browser(),  # type: ignore[arg-type]
        say=said.append,
        out=out.append,
    )
    page_tokens = result.connection["extra"]["page_tokens"]
    assert set(page_tokens) == {new_account, existing}
    assert result.connection["password"] not in page_tokens.values(), "user token apart"
    assert [a.name for a in result.accounts] == ["brand_0077", f"brand_{existing[-4:]}"]
    text = accounts_file.read_text()
    assert text.startswith("# Brands and their accounts"), "the file's comments are kept"
    brands = {b.brand_id: b for b in load_brands(accounts_file)}
    lumen = {a.account_id: a for a in brands["lumen_outdoor"].accounts}
    assert lumen[new_account].grant == "instagram_lumen"
    assert lumen[new_account].name == "brand_0077"
    northwind = {a.account_id: a for a in brands["northwind_coffee"].accounts}
    assert northwind[existing].grant == "instagram_lumen", "an existing account gets the grant"
    shown = "\n".join(said + [line for line in out if not line.startswith("AIRFLOW_CONN_")])
    assert not any(token in shown for token in page_tokens.values())


def test_connect_refuses_a_redirect_from_another_run_and_reports_the_networks_error(csb):
    client = new_client(csb, "x")
    flow = onboarding.Flow(
        "x",
        grant="x_check",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        auth_base_url=csb.base_url("x"),
    )
    with pytest.raises(ConfigError, match="state"):
        flow.code_from("http://127.0.0.1:8976/callback?code=abc&state=someone-else")
    denied = consent(flow.authorize_url(), "1,2")  # X consents for one user only
    with pytest.raises(ConfigError, match="x refused the authorization: invalid_request"):
        flow.code_from(denied)


def test_connect_without_a_refresh_token_says_why(csb):
    client = requests.post(
        f"{csb.url}/_sandbox/oauth/clients",
        json={"network": "linkedin", "refresh_tokens": False},
        timeout=10,
    ).json()
    said: list[str] = []

    class Browser:
        def readline(self) -> str:
            url = next(line.strip() for line in said if line.strip().startswith("http"))
            return consent(url, ORGS[0])

    result = onboarding.connect(
        "linkedin",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        grant="linkedin_static",
        no_browser=True,
        print_connection=True,
        api_base_url=csb.base_url("linkedin"),
        auth_base_url=csb.base_url("linkedin"),
        stdin=Browser(),  # type: ignore[arg-type]
        say=said.append,
        out=lambda text: None,
    )
    assert "refresh_token" not in result.connection["extra"]
    assert any("Marketing Developer Platform" in line for line in said)
