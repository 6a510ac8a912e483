"""Every target reads only the checked day, from the session setting `sw.check_day`, through a
predicate PostgreSQL serves from the day columns' indexes (raw `load_date`, the daily marts'
`metric_date`): the gate's cost follows the day, not the history."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from social_warehouse.quality.gate import sqlalchemy_url
from social_warehouse.quality.targets import CHECK_DAY, DAY_SETTING, all_targets
from tests.conftest import CLEAN_DAY

# read through their day index by every target that touches them; the dimensions (posts,
# accounts, brands) are read whole by design, metric_revisions has no index on last_load_date
DAY_INDEXED_MARTS = {
    "account_daily",
    "reach_daily",
    "engagement_daily",
    "brand_daily",
    "post_daily",
}


def seq_scans(node: dict[str, Any]) -> set[str]:
    found = set()
    if node["Node Type"] == "Seq Scan":
        found.add(f"{node['Schema']}.{node['Relation Name']}")
    for child in node.get("Plans", []):
        found |= seq_scans(child)
    return found


def test_every_target_selects_the_checked_day_from_the_session_setting():
    assert [t.asset for t in all_targets() if CHECK_DAY not in t.query] == []


def test_a_target_read_without_the_day_setting_fails_naming_the_setting(clean_warehouse):
    target = all_targets()[0]
    with (
        psycopg.connect(clean_warehouse) as conn,
        pytest.raises(psycopg.errors.UndefinedObject, match=DAY_SETTING),
    ):
        conn.execute(f"select count(*) from ({target.query}) t")


def test_day_columns_are_read_through_their_indexes(clean_warehouse):
    """With sequential scans priced out, a table still scanned whole has no index the target's
    predicate can use: that target would read the whole history every day."""
    whole = {}
    with psycopg.connect(clean_warehouse) as conn:
        conn.execute(f"select set_config('{DAY_SETTING}', %s, false)", (str(CLEAN_DAY),))
        conn.execute("set enable_seqscan = off")
        for target in all_targets():
            plan = conn.execute(
                f"explain (format json, verbose) select * from ({target.query}) t"
            ).fetchone()[0][0]["Plan"]
            scanned = {
                r
                for r in seq_scans(plan)
                if r.startswith("raw.") or r.removeprefix("marts.") in DAY_INDEXED_MARTS
            }
            if scanned:
                whole[target.asset] = sorted(scanned)
    assert whole == {}


def test_the_day_reaches_the_connections_of_the_gate_url(clean_warehouse):
    """The gate's GX datasource URL carries the day as a libpq option, next to any option the
    warehouse URL already has."""
    from sqlalchemy import create_engine, text

    url = clean_warehouse + "?options=-c%20statement_timeout%3D60000"
    engine = create_engine(sqlalchemy_url(url, CLEAN_DAY))
    try:
        with engine.connect() as conn:
            day = conn.execute(text(f"select current_setting('{DAY_SETTING}')")).scalar()
            timeout = conn.execute(text("show statement_timeout")).scalar()
    finally:
        engine.dispose()
    assert (day, timeout) == (str(CLEAN_DAY), "1min")
