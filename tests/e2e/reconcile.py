"""Reconcile the marts with the sandbox's ground truth: what a perfect client would have loaded.

Independent of dbt: expected values come from the sandbox's truth, mapped with the metric
registry and the engagement definitions (data, not SQL), and compared value by value. For the
metrics a network only has per post (registry aggregation post_delta, e.g. X), the expected
account-day value is the posts' growth between the daily loads' snapshots, as the truth gives
the posts' lifetime values at each load's clock."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from typing import Any

import psycopg

from social_warehouse import metric_registry, paths
from social_warehouse.config import load_network_settings
from social_warehouse.connector.streams import StreamKind
from social_warehouse.networks import catalog as networks
from social_warehouse.timeutil import local_day, parse_instant

ACCOUNT_METRICS = (
    "impressions",
    "reach",
    "engagements",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
    "profile_views",
    "followers",
    "follower_gains",
    "follower_losses",
)
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
COMPONENTS = ("likes", "comments", "shares", "saves", "clicks")


def configured_accounts(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "select network, account_id from ops.configured_accounts order by 1, 2"
    ).fetchall()


def post_delta_metrics(network: str) -> set[str]:
    return {
        r.unified_metric
        for r in metric_registry.load()
        if r.network == network and r.entity == "account" and r.aggregation == "post_delta"
    }


def engagement_components(network: str, scope: str) -> list[str]:
    path = paths.dbt_project_dir() / "seeds" / "engagement_definitions.csv"
    with path.open() as handle:
        return [
            row["component"]
            for row in csv.DictReader(handle)
            if row["network"] == network and row["applies_to"] in (scope, "both")
        ]


def snapshot_metrics(network: str) -> set[str]:
    """Unified account metrics read from a profile snapshot (followers totals): their value for a
    day is what the load of that day saw, not what a later load would see."""
    spec = networks.get(network)
    return {
        r.unified_metric
        for r in metric_registry.load()
        if r.network == network
        and r.entity == "account"
        and r.aggregation != "post_delta"
        and spec.stream(r.source).kind is StreamKind.ACCOUNT_SNAPSHOT
    }


def _sum_or_none(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


class Expectations:
    """Expected mart values for one network and account, given the clock of each day's load."""

    def __init__(
        self,
        sandbox: Any,
        network: str,
        account: str,
        clock: Callable[[dt.date], dt.datetime],
        loaded_days: list[dt.date],
        post_days: int,
    ) -> None:
        self.net = sandbox.state.networks[network]
        self.network, self.account, self.clock = network, account, clock
        self.loaded_days, self.post_days = loaded_days, post_days

    def posts_at(self, day: dt.date) -> dict[str, dict[str, Any]]:
        """The posts the load of `day` snapshotted, with their lifetime values at its clock."""
        truth = self.net.truth(self.account, day, self.clock(day), self.post_days)
        return {p["post_id"]: p for p in truth["posts"]}

    def published_on(self, post: dict[str, Any]) -> dt.date:
        return local_day(parse_instant(post["published_at"]), self.net.tz)

    def growth(self, day: dt.date, metric: str) -> int | None:
        """Sum over the day's posts of (snapshot today - snapshot yesterday); a post published
        today counts whole; unknown when yesterday was not loaded and a post predates today."""
        today = self.posts_at(day)
        previous_day = day - dt.timedelta(days=1)
        yesterday = self.posts_at(previous_day) if previous_day in self.loaded_days else {}
        if not today:
            return None
        total = 0
        for post_id, post in today.items():
            value = post["lifetime"].get(metric)
            if value is None:
                return None
            if post_id in yesterday:
                before = yesterday[post_id]["lifetime"].get(metric)
                if before is None:
                    return None
                total += value - before
            elif self.published_on(post) == day:
                total += value
            else:
                return None
        return total

    def account_day(self, day: dt.date) -> dict[str, Any] | None:
        """Daily metrics as the last load whose lookback covered the day saw them; snapshot
        metrics as the day's own load saw them; post-growth metrics from the snapshots."""
        lookback = load_network_settings(self.network).lookback_days
        last_load = min(max(self.loaded_days), day + dt.timedelta(days=lookback - 1))
        daily = self.net.truth(self.account, day, self.clock(last_load), 1)["account"]
        snapshot = self.net.truth(self.account, day, self.clock(day), 1)["account"]
        derived = post_delta_metrics(self.network)
        if daily is None and snapshot is None and not (derived and self.posts_at(day)):
            return None
        snapshots = snapshot_metrics(self.network)
        expected: dict[str, Any] = {}
        for metric in ACCOUNT_METRICS:
            source = snapshot if metric in snapshots else daily
            expected[metric] = (source or {}).get("unified", {}).get(metric)
        for metric in derived:
            expected[metric] = self.growth(day, metric)
        components = engagement_components(self.network, "account")
        if components and "native" not in components:
            expected["engagements"] = _sum_or_none([expected[c] for c in components])
        expected["posts_published"] = sum(
            1 for p in self.posts_at(day).values() if self.published_on(p) == day
        )
        return expected


def account_mismatches(
    conn: psycopg.Connection,
    sandbox: Any,
    days: list[dt.date],
    clock: Callable[[dt.date], dt.datetime],
    post_days: dict[str, int],
    accounts: list[tuple[str, str]] | None = None,
) -> tuple[list[str], int]:
    """marts.account_daily against the truth for every configured account and day; reach_daily
    and engagement_daily must carry the same values."""
    columns = (*ACCOUNT_METRICS, "posts_published")
    mismatches, compared = [], 0
    for network, account in accounts or configured_accounts(conn):
        exp = Expectations(sandbox, network, account, clock, days, post_days[network])
        for day in days:
            expected = exp.account_day(day)
            row = conn.execute(
                f"""select {", ".join("a." + c for c in columns)}, r.reach, r.impressions,
                           e.engagements, e.likes
                    from marts.account_daily a
                    left join marts.reach_daily r using (metric_date, network, account_id)
                    left join marts.engagement_daily e using (metric_date, network, account_id)
                    where a.network = %s and a.account_id = %s and a.metric_date = %s""",
                (network, account, day),
            ).fetchone()
            where = f"account_daily {network}/{account} {day}"
            if expected is None:
                if row is not None and any(v is not None for v in row[: len(ACCOUNT_METRICS)]):
                    mismatches.append(f"{where}: values present but the network has no data yet")
                continue
            if row is None:
                mismatches.append(f"{where}: missing row")
                continue
            actual = dict(zip(columns, row[: len(columns)], strict=True))
            for column in columns:
                compared += 1
                value = None if actual[column] is None else int(actual[column])
                if value != expected[column]:
                    mismatches.append(
                        f"{where} {column}: mart {actual[column]} != truth {expected[column]}"
                    )
            if row[len(columns) :] != (
                actual["reach"],
                actual["impressions"],
                actual["engagements"],
                actual["likes"],
            ):
                mismatches.append(
                    f"{where}: reach_daily/engagement_daily disagree with account_daily"
                )
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
        components = engagement_components(network, "post")
        for post in truth["posts"]:
            row = conn.execute(
                f"select {', '.join('lifetime_' + m for m in POST_METRICS)}, lifetime_engagements "
                "from marts.post_daily where network = %s and post_id = %s and metric_date = %s",
                (network, post["post_id"], day),
            ).fetchone()
            where = f"post_daily {network}/{post['post_id']} {day}"
            if row is None:
                mismatches.append(f"{where}: missing row")
                continue
            expected = {m: post["lifetime"].get(m) for m in POST_METRICS}
            expected["engagements"] = _sum_or_none([expected[c] for c in components])
            for metric, actual in zip((*POST_METRICS, "engagements"), row, strict=True):
                compared += 1
                if (None if actual is None else int(actual)) != expected[metric]:
                    mismatches.append(
                        f"{where} {metric}: mart {actual} != truth {expected[metric]}"
                    )
    return mismatches, compared


def brand_mismatches(conn: psycopg.Connection, days: list[dt.date]) -> list[str]:
    """brand_daily must be the sum over the brand's accounts in account_daily (and the brand
    must own exactly its configured accounts)."""
    rows = conn.execute(
        """select b.metric_date, b.brand_id, b.reach, b.impressions, b.engagements, b.followers,
                  sums.reach, sums.impressions, sums.engagements, sums.followers
           from marts.brand_daily b
           join (select metric_date, c.brand_id, sum(reach) reach, sum(impressions) impressions,
                        sum(engagements) engagements, sum(followers) followers
                 from marts.account_daily a
                 join ops.configured_accounts c using (network, account_id)
                 group by 1, 2) sums using (metric_date, brand_id)
           where b.metric_date = any(%s)""",
        (days,),
    ).fetchall()
    return [f"brand_daily {r[0]} {r[1]}: {r[2:6]} != {r[6:]}" for r in rows if r[2:6] != r[6:]] + (
        [] if rows else ["brand_daily: no rows to compare"]
    )


def revision_mismatches(
    conn: psycopg.Connection, sandbox: Any, clock: Callable[[dt.date], dt.datetime]
) -> tuple[list[str], int]:
    """metric_revisions for account-day metrics: the first value is the truth at the clock of the
    first load that saw the day, the settled value the truth at the last load's clock."""
    mismatches, compared = [], 0
    rows = conn.execute(
        """select network, account_id, reference_date, metric_name, first_value, first_reported_on,
                  settled_value, last_load_date
           from marts.metric_revisions where entity = 'account_day'"""
    ).fetchall()
    for network, account, day, metric, first, first_on, settled, last_on in rows:
        net = sandbox.state.networks[network]
        early = net.truth(account, day, clock(first_on), 1)["account"]
        late = net.truth(account, day, clock(last_on), 1)["account"]
        if (
            not early
            or not late
            or metric not in early["native"]
            or not isinstance(early["native"][metric], int)
        ):
            continue
        compared += 1
        if (int(first), int(settled)) != (early["native"][metric], late["native"][metric]):
            mismatches.append(
                f"metric_revisions {network}/{account} {day} {metric}: "
                f"first/settled {first}/{settled} "
                f"!= truth {early['native'][metric]}/{late['native'][metric]}"
            )
    return mismatches, compared
