"""No secret in any log at any level: every log record created in a process that imports this
package has tokens, passwords and client secrets replaced by `***` before any handler sees it.

A record factory rather than a handler filter: it covers every logger (urllib3's debug lines
with next-page URLs, requests, psycopg, Airflow's and dbt's stdlib loggers) whatever handlers
they end up on, including the ones Airflow installs in a task."""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

# Query or form parameters that carry a credential (Meta and Google `access_token`, OAuth
# `refresh_token` / `client_secret` / `code`, Meta `fb_exchange_token` / `input_token`, ...).
_SECRET_PARAMS = (
    "access_token",
    "refresh_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "id_token",
    "token",
    "code",
    "code_verifier",
    "password",
    "secret",
    "api_key",
    "apikey",
    "key",
    "sig",
    "signature",
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # name=value in a URL, a form body or a libpq connection string
    (
        re.compile(r"(?i)(?<![a-z0-9_])(" + "|".join(_SECRET_PARAMS) + r")=([^&\s'\"<>]+)"),
        r"\1=" + MASK,
    ),
    # "name": "value" in JSON (token responses, connection extras)
    (
        re.compile(
            r"(?i)([\"'](?:" + "|".join(_SECRET_PARAMS) + r"|password)[\"']\s*:\s*[\"'])[^\"']*"
        ),
        r"\1" + MASK,
    ),
    # headers: Authorization: Bearer x / Basic x, TikTok's Access-Token: x
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    (re.compile(r"(?i)(access-token['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1" + MASK),
    # the password in scheme://user:password@host
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]+@"), r"\1:" + MASK + "@"),
]


def redact(text: str) -> str:
    """`text` with every credential the patterns know replaced by ***."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_installed = False


def install() -> None:
    """Redact every log record this process creates from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # tracebacks are formatted later from exc_info: format and clean them now
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
