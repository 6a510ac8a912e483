"""Reconcile the marts with the sandbox's ground truth: what a perfect client would have loaded.
Independent of dbt: it reads the truth's unified metrics and compares them value by value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

ACCOUNT_COLUMNS = {
    "reach_daily": ("reach", "impressions"),
    "engagement_daily": ("engagements", "likes", "comments", "shares", "saves", "clicks"),
}
POST_METRICS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
)


def configured_accounts(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "select network, account_id from ops.configured_accounts order by 1, 2"
    ).fetchall()


def account_mismatches(
    conn: psycopg.Connection, sandbox: Any, days: list[dt.date], as_of: dt.datetime
) -> tuple[list[str], int]:
    """Every (mart, column) value for every configured account and day, compared with the truth
    at `as_of`. A metric the truth does not define must be NULL; a day the network has not
    published yet must have no row."""
    mismatches, compared = [], 0
    for network, account in configured_accounts(conn):
        for day in days:
            truth = sandbox.state.networks[network].truth(account, day, as_of, 1)["account"]
            for mart, columns in ACCOUNT_COLUMNS.items():
                row = conn.execute(
                    f"select {', '.join(columns)} from marts.{mart} "
                    "where network = %s and account_id = %s and metric_date = %s",
                    (network, account, day),
                ).fetchone()
                where = f"{mart} {network}/{account} {day}"
                if truth is None:
                    if row is not None:
                        mismatches.append(f"{where}: row present but the network has no data yet")
                    continue
                if row is None:
                    mismatches.append(f"{where}: missing row")
                    continue
                for column, actual in zip(columns, row, strict=True):
                    expected = truth["unified"].get(column)
                    compared += 1
                    if (None if actual is None else int(actual)) != expected:
                        mismatches.append(f"{where} {column}: mart {actual} != truth {expected}")
    return mismatches, compared


def post_mismatches(
    conn: psycopg.Connection,
    sandbox: Any,
    day: dt.date,
    as_of: dt.datetime,
    post_days: dict[str, int],
) -> tuple[list[str], int]:
    """Lifetime post metrics of the load for `day` (taken at `as_of`) against the truth."""
    mismatches, compared = [], 0
    for network, account in configured_accounts(conn):
        truth = sandbox.state.networks[network].truth(account, day, as_of, post_days[network])
        for post in truth["posts"]:
            row = conn.execute(
                f"select {', '.join('lifetime_' + m for m in POST_METRICS)} from marts.post_daily "
                "where network = %s and post_id = %s and metric_date = %s",
                (network, post["post_id"], day),
            ).fetchone()
            where = f"post_daily {network}/{post['post_id']} {day}"
            if row is None:
                mismatches.append(f"{where}: missing row")
                continue
            for metric, actual in zip(POST_METRICS, row, strict=True):
                expected = post["lifetime"].get(metric)
                compared += 1
                if (None if actual is None else int(actual)) != expected:
                    mismatches.append(f"{where} {metric}: mart {actual} != truth {expected}")
    return mismatches, compared
