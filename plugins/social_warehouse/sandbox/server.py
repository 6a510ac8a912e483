"""The sandbox HTTP server: one port, each network under its own prefix
(`/facebook_pages/v25.0/...`), plus control endpoints under `/_sandbox/`:

  GET    /_sandbox/health                       networks served, clock, seed
  POST   /_sandbox/clock      {"now": ISO|null}  freeze the clock (null = real time)
  POST   /_sandbox/faults     {kind, network, count, after, path, params}   (400 when unusable)
  GET    /_sandbox/faults                         the faults set, with how often each fired
  DELETE /_sandbox/faults                         clear all faults
  POST   /_sandbox/rate-limit {network, limit, window_seconds}
  GET    /_sandbox/requests[?network=]            the request log (tokens never logged)
  DELETE /_sandbox/requests
  GET    /_sandbox/truth/<network>?account_id=&day=&as_of=&post_days=
  POST   /_sandbox/defects    {network, day, counter, factor}  wrong data on purpose (0 = zero)
  DELETE /_sandbox/defects

OAuth (oauth.py; client secrets are generated here at run time, never stored in the repo):
  POST   /_sandbox/oauth/clients {network, redirect_uris?, testing?, refresh_tokens?}
                                                 -> {client_id, client_secret}
  POST   /_sandbox/oauth/grants  {network, client_id, accounts: [...], scopes?}
                                 the tokens a completed consent and code exchange give (Meta: the
                                 long-lived user token and page_tokens {account id: token}), with
                                 `connection`: the grant as an AIRFLOW_CONN_<GRANT> JSON value
  POST   /_sandbox/oauth/revoke  {network, grant | token}   kills the grant's every token
  GET    /_sandbox/oauth/stats[?network=]   per grant: exchanges, refreshes, token_calls,
                                 rejected_reuses, rejected_api_calls, revoked

A fault fires on requests it matches (on the OAuth endpoints only faults whose `path` names them,
and only server_error and slow): `network` (None = every network) and `path` (a regex
searched in the path below the network prefix, e.g. "/published_posts"). After `after` matching
requests have passed, the next `count` fire (None = all of them, for as long as it is set).
Listing faults ignore `count` and `after` (they hold until cleared: see listing.py). An unknown
kind or unusable params answer 400.

Fault kinds and their params (every param optional):

Any network
  expired_token     the network's expired-token answer (Graph 190/463, X 401, LinkedIn 401
                    EXPIRED_ACCESS_TOKEN 65602, YouTube 401 authError, TikTok 40102). The same
                    answers come for real once a token the sandbox issued expires on its clock.
  throttle          the network's rate-limit answer. Graph: code (4, 17, 32, 613, 80001
                    [Pages default], 80002 [Instagram default]), regain_minutes (or reset, in
                    seconds); X: reset (seconds, default 1), code (88: the v1.1-style body);
                    LinkedIn: daily (true: the "APPLICATION DAY limit" 429), scope; YouTube:
                    status (403 default, or 429), reason (default rateLimitExceeded); TikTok:
                    none (code 40100 in an HTTP 200).
  server_error      status (default 500; X 503); TikTok: code (50000 default, 50002), status
                    (default 200: TikTok reports most errors in an HTTP 200 envelope).
  malformed_body    HTTP 200 with truncated JSON.
  malformed_record  one record of a list answer is broken: field (default "id"; dotted paths on
                    LinkedIn and YouTube items), mode ("string": the field becomes "n/a";
                    otherwise it is dropped; YouTube reports: "short" drops a row's last cell),
                    index (which record, default 0), column (YouTube report cell, default 1).
  slow              the matching responses are sent `seconds` later (default 1.0): for client
                    timeouts. Other requests are served meanwhile (one thread per connection).

Paged listings (Facebook published_posts/posts, Instagram media, X user timeline, LinkedIn posts,
YouTube playlistItems, TikTok business/video/list; listing.py has the details)
  empty_page_with_next  hidden items take the slots of the chosen pages, which come back empty
                    (or short) while their continuation still points at the rest; following
                    every continuation still yields every item. pages (0-based page numbers as
                    the client receives them, or "first" | "middle" | "last"; default [0];
                    "last" adds an empty page after the last one), visible (items still shown on
                    those pages, default 0).
  repeat_cursor     the chosen pages answer with the continuation the client just used (same
                    URL, token, cursor or start), so a client that follows blindly loops.
                    pages (as above, default [0]; "last" is the last page). YouTube Analytics
                    reports carry no continuation: there startIndex is ignored past the chosen
                    page, which is answered again.

  deleted_items     the listing holds only its first `keep` items (default 0), with consistent
                    continuations: posts deleted, or an API that silently answers less.

Facebook Pages
  retire_metric     metric or metrics: those names answer (#100) as retired (Instagram and
                    YouTube Analytics take the same params).
  ignore_period     page insights answer every period (day, week, days_28) even when the
                    request pins period=day, as older API versions did.

Instagram
  incompatible_metric  metric, media_type (optional): that media type rejects the metric.
  pre_conversion    media_id (optional, default any): subcode 2108006 for media posted before the
                    account became a business account.
  follower_count_empty  follower_count comes back with no values (small accounts).

X
  app_only_token    private metrics are refused as for an app-only (Bearer) token.
  usage_capped      429 UsageCapExceeded (the monthly post cap).
  not_found         the user does not exist (HTTP 200 with an errors array).

LinkedIn
  daily_limit       429 with the DAY-limit wording; scope (default APPLICATION).
  revoked_token     401 REVOKED_ACCESS_TOKEN.
  access_denied     403 ACCESS_DENIED; message.

YouTube
  quota_exceeded    403 quotaExceeded (also reached for real after 10,000 units a Pacific day).
  forbidden         403; reason (default forbidden, e.g. insufficientPermissions).

TikTok
  api_error         code (default 40001), message: any envelope error in an HTTP 200.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import pkgutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from social_warehouse.sandbox.base import Fault, SandboxNetwork, SandboxRequest, SandboxResponse
from social_warehouse.sandbox.oauth import OAuthRegistry, redact_query
from social_warehouse.timeutil import parse_day, parse_instant

log = logging.getLogger(__name__)

DEFAULT_SEED = 20260101


def discover_networks(seed: int) -> dict[str, SandboxNetwork]:
    import social_warehouse.sandbox as package

    found: dict[str, SandboxNetwork] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        cls = getattr(module, "SANDBOX", None)
        if isinstance(cls, type) and issubclass(cls, SandboxNetwork):
            found[cls.name] = cls(seed)
    return found


class SandboxState:
    def __init__(self, seed: int = DEFAULT_SEED, clock: dt.datetime | None = None) -> None:
        self.seed = seed
        self.clock = clock
        self.networks = discover_networks(seed)
        self.oauth = OAuthRegistry()
        for network in self.networks.values():
            network.oauth = self.oauth
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        # Set when the server stops: wakes responses held back by the `slow` fault.
        self.stopping = threading.Event()

    def now(self) -> dt.datetime:
        return self.clock or dt.datetime.now(dt.UTC)

    def fired_faults(self, network: str, path: str, explicit_only: bool = False) -> list[Fault]:
        with self.lock:
            fired = [
                f
                for f in self.faults
                if (f.path or not explicit_only) and f.matches(network, path) and f.take()
            ]
            self.faults = [f for f in self.faults if not f.spent]
        return fired


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response: without a buffer, keep-alive plus Nagle costs ~43 ms a request.
    wbufsize = 1 << 16
    server: SandboxHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _send(self, response: SandboxResponse) -> None:
        payload = response.raw if response.raw is not None else _json_bytes(response.body)
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **response.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (a timeout against the `slow` fault): nothing to answer.
            log.debug("sandbox: client left before the response to %s", self.path)
            self.close_connection = True

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        segments = parts.path.split("/", 2)
        prefix = segments[1] if len(segments) > 1 else ""
        rest = "/" + segments[2] if len(segments) > 2 else "/"
        try:
            if prefix == "_sandbox":
                host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
                response = control(state, method, rest, query, body, base_url=f"http://{host}")
            elif prefix in state.networks:
                response = serve(
                    state, state.networks[prefix], method, rest, query, dict(self.headers), body
                )
            else:
                response = SandboxResponse(404, {"error": f"no network {prefix!r} in this sandbox"})
        except Exception as exc:  # a sandbox bug must show up as a 500, not a hung client
            log.exception("sandbox error on %s %s", method, parts.path)
            response = SandboxResponse(500, {"error": f"sandbox bug: {exc!r}"})
        self._send(response)


def serve(
    state: SandboxState,
    network: SandboxNetwork,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> SandboxResponse:
    request = SandboxRequest(method, path, query, headers, body, state.now())
    # tokens, codes, verifiers and client secrets never reach the log: only their names do
    entry = {"network": network.name, "method": method, "path": path, "query": redact_query(query)}
    with state.lock:
        state.requests.append(entry)
    endpoint = state.oauth.endpoint(network.name, method, path)
    if endpoint is not None:
        response = _oauth_endpoint(state, network, request, endpoint)
    else:
        response = _api_call(state, network, request)
    entry["status"] = response.status
    slow = request.fault("slow")
    if slow is not None:
        # Only this connection's thread waits; the server keeps answering everyone else.
        state.stopping.wait(float(slow.params.get("seconds", 1.0)))
    return response


def _oauth_endpoint(
    state: SandboxState, network: SandboxNetwork, request: SandboxRequest, endpoint: Any
) -> SandboxResponse:
    """Authorize, token, revoke and introspection endpoints authenticate the client, not a
    bearer token. Only faults whose `path` names them explicitly fire here (server_error,
    slow), so a fault meant for the API is never spent on a token refresh."""
    request.fired = state.fired_faults(network.name, request.path, explicit_only=True)
    if request.fault("server_error") is not None:
        fault = request.fault("server_error")
        status = int((fault.params if fault else {}).get("status", 503))
        return SandboxResponse(
            status,
            {"error": "temporarily_unavailable", "error_description": "Service Unavailable"},
        )
    return endpoint(request, network)


def _api_call(
    state: SandboxState, network: SandboxNetwork, request: SandboxRequest
) -> SandboxResponse:
    token = network.token(request)
    request.fired = state.fired_faults(network.name, request.path)
    response = _fault_response(network, request, token)
    if response is None:
        access = state.oauth.check_api(network.name, token, request.now)
        if access.error:
            return network.error(access.error, request)
        request.access, request.grant, request.scope = access.token, access.grant, access.scope
        usage, reset = network.rate.hit(token, time.monotonic())
        if usage > network.rate.limit:
            response = network.error("throttle", request, reset=reset, usage=usage)
        else:
            response = network.scope_error(request) or network.dispatch(request)
            network.decorate(request, response, usage, reset)
            corrupt = request.fault("malformed_record")
            if corrupt is not None and response.status == 200:
                response.body = network.corrupt(response.body, corrupt.params)
    return response


def _fault_response(
    network: SandboxNetwork, request: SandboxRequest, token: str
) -> SandboxResponse | None:
    if not token:
        return network.error("unauthorized", request)
    for kind in ("expired_token", "throttle", "server_error"):
        fault = request.fault(kind)
        if fault is not None:
            return network.error(kind, request, **fault.params)
    if request.fault("malformed_body") is not None:
        return SandboxResponse(200, raw=b'{"data": [{"id": "1", "name": ')
    return None


def control(
    state: SandboxState,
    method: str,
    path: str,
    query: dict[str, str],
    body: bytes,
    base_url: str = "http://127.0.0.1",
) -> SandboxResponse:
    data = json.loads(body) if body else {}
    if path.startswith("/oauth/"):
        if not isinstance(data, dict):
            return SandboxResponse(400, {"error": "expected a JSON object"})
        return state.oauth.control(
            method,
            path[len("/oauth") :],
            query,
            data,
            state.now(),
            base_url,
            set(state.networks),
        )
    if path == "/health":
        return SandboxResponse(
            200,
            {
                "status": "ok",
                "seed": state.seed,
                "networks": sorted(state.networks),
                "clock": state.clock.isoformat() if state.clock else None,
                "now": state.now().isoformat(),
            },
        )
    if path == "/clock" and method == "POST":
        now = data.get("now")
        state.clock = parse_instant(now) if now else None
        return SandboxResponse(200, {"clock": state.clock.isoformat() if state.clock else None})
    if path == "/faults" and method == "POST":
        allowed = {"kind", "network", "count", "after", "path", "params"}
        unknown = set(data) - allowed
        if unknown or "kind" not in data:
            return SandboxResponse(
                400, {"error": f"fault needs 'kind'; unknown fields {sorted(unknown)}"}
            )
        if data.get("network") and data["network"] not in state.networks:
            return SandboxResponse(400, {"error": f"unknown network {data['network']!r}"})
        try:
            fault = Fault(**data)
        except (TypeError, ValueError) as exc:
            return SandboxResponse(400, {"error": str(exc)})
        with state.lock:
            state.faults.append(fault)
        return SandboxResponse(201, {"faults": len(state.faults)})
    if path == "/faults" and method == "DELETE":
        with state.lock:
            state.faults.clear()
        return SandboxResponse(200, {"faults": 0})
    if path == "/faults" and method == "GET":
        return SandboxResponse(200, {"faults": [f.__dict__ for f in state.faults]})
    if path == "/rate-limit" and method == "POST":
        network = state.networks[data["network"]]
        network.rate.limit = int(data.get("limit", network.rate.limit))
        network.rate.window_seconds = float(data.get("window_seconds", network.rate.window_seconds))
        return SandboxResponse(
            200, {"limit": network.rate.limit, "window_seconds": network.rate.window_seconds}
        )
    if path == "/requests" and method == "GET":
        net = query.get("network")
        with state.lock:
            rows = [r for r in state.requests if not net or r["network"] == net]
        return SandboxResponse(200, {"requests": rows, "count": len(rows)})
    if path == "/requests" and method == "DELETE":
        with state.lock:
            state.requests.clear()
        return SandboxResponse(200, {"count": 0})
    if path == "/defects" and method == "POST":
        network = state.networks[data["network"]]
        network.defects[(parse_day(data["day"]), data["counter"])] = float(data.get("factor", 0))
        return SandboxResponse(201, {"defects": len(network.defects)})
    if path == "/defects" and method == "DELETE":
        for network in state.networks.values():
            network.defects.clear()
        return SandboxResponse(200, {"defects": 0})
    if path.startswith("/truth/") and method == "GET":
        name = path[len("/truth/") :]
        if name not in state.networks:
            return SandboxResponse(404, {"error": f"unknown network {name!r}"})
        as_of = parse_instant(query["as_of"]) if query.get("as_of") else state.now()
        truth = state.networks[name].truth(
            query["account_id"], parse_day(query["day"]), as_of, int(query.get("post_days", 28))
        )
        return SandboxResponse(200, truth)
    return SandboxResponse(404, {"error": f"no control endpoint {method} {path}"})


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state


class Sandbox:
    """Run the sandbox in a background thread (tests, `make run`) or in the foreground (CLI)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = DEFAULT_SEED,
        clock: dt.datetime | None = None,
    ) -> None:
        self.state = SandboxState(seed, clock)
        self.httpd = SandboxHTTPServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, network: str) -> str:
        return f"{self.url}/{network}"

    def start(self) -> Sandbox:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.state.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
