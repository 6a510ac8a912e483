"""With no PostgreSQL answering at the default address and no machine cluster to start, the
project starts an embedded PostgreSQL in .pgdata/ and works on it."""

from __future__ import annotations

import psycopg

from social_warehouse.warehouse import database, embedded
from social_warehouse.warehouse.migrate import migrate


def test_an_embedded_server_starts_when_nothing_answers(monkeypatch):
    # nothing listens on port 1, and pretend the machine has no cluster of its own to start.
    # WAREHOUSE_URL is set to the default (not deleted) so that monkeypatch restores it after
    # ensure_server points it at the embedded server.
    nowhere = "postgresql://postgres@127.0.0.1:1/social_warehouse"
    monkeypatch.setattr(database, "DEFAULT_URL", nowhere)
    monkeypatch.setenv("WAREHOUSE_URL", nowhere)
    monkeypatch.delenv("AIRFLOW_CONN_SOCIAL_WAREHOUSE", raising=False)
    monkeypatch.setattr(embedded, "_start_system_cluster", lambda: False)
    said: list[str] = []
    url = embedded.ensure_server(echo=said.append)
    try:
        assert database.parts(url).is_socket, url
        assert any("embedded PostgreSQL" in line for line in said)
        migrate(url)
        with psycopg.connect(url) as conn:
            tables = conn.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw'"
            ).fetchone()
        assert tables[0] >= 3
    finally:
        embedded.stop_embedded()
    assert not database.is_reachable(url), "the embedded server should stop when asked"


def test_an_explicit_url_that_does_not_answer_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://postgres@10.255.255.1:1/elsewhere")
    monkeypatch.setattr(embedded, "_start_system_cluster", lambda: False)
    try:
        embedded.ensure_server(echo=lambda m: None)
    except database.ConfigError as error:
        assert "WAREHOUSE_URL" in str(error)
    else:
        raise AssertionError("an unreachable explicit WAREHOUSE_URL must not fall back")
