"""The daily expiry watch as an Airflow DAG: check every grant config/accounts.yml names, record
ops.grant_health, and fail with one line per grant that is revoked, missing or about to expire,
so the owner is asked to reconnect before the loads start failing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.sdk import DAG, task
from airflow.timetables.trigger import CronTriggerTimetable

from social_warehouse.orchestration.extract_dags import DEFAULT_ARGS, START_DATE

log = logging.getLogger(__name__)

# Before the extract DAGs' daily runs: a grant found dead here is reconnected before they fail.
SCHEDULE = "0 6 * * *"

DOC = """
### Grants health

Once a day, checks every OAuth grant (Airflow connection) that an account in
`config/accounts.yml` reads with, plus each network's default connection when an account has no
`grant:`.

* **Checks:** where Airflow found the connection; the access and refresh expiries and the last
  refresh stored in `ops.grant_tokens`; Meta `debug_token` for every token the accounts read
  with (Page tokens never expire, user tokens do after ~60 days); one cheap authenticated call
  per account through the network's own client (a token that needs it is refreshed, as a load
  would).
* **Writes:** `ops.grant_health`, one row per grant and check day (status `ok`, `expiring`,
  `revoked`, `missing` or `error`, with a message).
* **Fails** with one line per grant that is revoked, missing, or whose refresh token (or a Meta
  token an account reads with) ends within {days} days, each naming the command that renews it:
  `social-warehouse connect <network> --grant <grant>`. Grants the check could not decide
  (throttling, the network down) are recorded as `error` without failing the run.
* **Never** logs or returns a token: the task's XCom holds the statuses only.
"""


def build_grants_health_dag() -> DAG:
    from social_warehouse.grants_health import EXPIRING_DAYS

    with DAG(
        dag_id="grants_health",
        description="Check every OAuth grant daily; fail on revoked or expiring ones",
        schedule=CronTriggerTimetable(SCHEDULE, timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["social-warehouse", "grants"],
        default_args={**DEFAULT_ARGS, "retries": 1, "retry_delay": dt.timedelta(minutes=10)},
        doc_md=DOC.format(days=EXPIRING_DAYS),
    ) as dag:

        @task
        def prepare_warehouse() -> str:
            """Create the database and apply pending migrations (idempotent, locked)."""
            from social_warehouse.warehouse import database
            from social_warehouse.warehouse.migrate import migrate

            database.ensure_database()
            return f"{len(migrate())} migration(s) applied"

        @task
        def check_grants(**context: Any) -> list[dict[str, str]]:
            """Check and record every grant; fail naming each one to reconnect."""
            from airflow.sdk.exceptions import AirflowFailException

            from social_warehouse.grants_health import check_grants, failures

            logical = context.get("logical_date")
            day = logical.date() if logical is not None else None
            rows = check_grants(day=day)
            problems = failures(rows)
            if problems:
                # a dead grant stays dead on a retry: only its owner's new consent helps
                raise AirflowFailException(
                    f"{len(problems)} grant(s) need their owner to reconnect:\n"
                    + "\n".join(problems)
                )
            return [{"grant": r.grant_id, "network": r.network, "status": r.status} for r in rows]

        prepare_warehouse() >> check_grants()
    return dag
