"""Requests per account-day against the least the APIs allow.

Loads one day for every configured account (config/accounts.yml) of each network against the
in-process sandbox, the way the tests do (run_account_load with a sandbox connection, no
Airflow), reads what each load spent from `ops.load_manifest.requests`, and sets it next to the
minimum the sandbox's ground truth allows: the posts of the post window at the APIs' largest page
and batch sizes plus the account calls every load needs. Prints a table with the ratios.

Run it without make (it needs the PostgreSQL server the tests use; the database it loads into is
dropped and created again):

    .venv/bin/python bench/request_budget.py [--db social_warehouse_bench_requests] [network ...]

The module is named request_budget, not requests: run as a script its folder comes first on
sys.path, and a bench/requests.py would shadow the HTTP library every client imports.

The minimum per network (per account-day, with the network's configured lookbacks):

- facebook_pages: ceil(lookback_days / 89) page-insights calls + ceil(posts / 100) published_posts
  pages (at least one) + ceil(posts / 50) `?ids=` insights batches;
- instagram: 1 account call + the 30-day series windows + 1 total_value call per lookback day +
  the media pages up to the first page that reaches media older than the window (the edge has no
  date filter: floor(newer / 100) + 1) + per distinct metric list the media types take,
  ceil(media / 50) `?ids=` batches;
- linkedin: share statistics, follower statistics and network size (1 each) + the posts pages up
  to the first page reaching posts last modified before the window (sorted by LAST_MODIFIED:
  floor(newer / 100) + 1) + per URN kind (shares, ugcPosts: one kind per call)
  ceil(posts / 50) statistics batches.

TikTok, X and YouTube are measured too when named; their minimum is not modelled here ("-").
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins"))

from social_warehouse import metric_registry  # noqa: E402
from social_warehouse.config import NetworkSettings, accounts_for, load_network_settings  # noqa: E402
from social_warehouse.connections import ConnectionInfo  # noqa: E402
from social_warehouse.extract import run_account_load  # noqa: E402
from social_warehouse.sandbox.server import Sandbox  # noqa: E402
from social_warehouse.timeutil import Window, day_start  # noqa: E402

DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
RUN_ID = "bench-request-budget"
NETWORKS = ("facebook_pages", "instagram", "linkedin", "tiktok", "x", "youtube")
MODELLED = ("facebook_pages", "instagram", "linkedin")

# The APIs' documented maxima the minimum is counted with.
GRAPH_MAX_LIMIT = 100  # Graph API edges (published_posts, media): limit <= 100
GRAPH_MAX_IDS = 50  # Graph API `?ids=`: at most 50 objects per call
FACEBOOK_INSIGHTS_DAYS = 89  # page insights since..until: 90 days, 89 across a DST change
INSTAGRAM_SERIES_DAYS = 30  # Instagram account insights since..until: at most 30 days
LINKEDIN_MAX_COUNT = 100  # LinkedIn posts finder: count <= 100
LINKEDIN_MAX_URNS = 50  # LinkedIn share statistics: post URNs per List(...)


@dataclass
class Row:
    network: str
    accounts: int = 0
    requests: int = 0
    minimum: int | None = None
    per_account: list[tuple[str, int, int | None]] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.requests / self.minimum if self.minimum else None


def settings_for(network: str) -> NetworkSettings:
    """The network's configured settings with retries in milliseconds (as the tests use)."""
    return load_network_settings(network).with_overrides(
        backoff_seconds=0.01, max_wait_seconds=10.0, max_retries=3
    )


# --- the minimum, from the sandbox's ground truth -------------------------------------------------
def _listing_pages(newer: int, total: int, size: int) -> int:
    """Pages of a newest-first listing read until the first page that reaches older items: every
    item newer than the window plus the first older one must have been listed."""
    if newer >= total:
        return max(1, math.ceil(total / size))
    return newer // size + 1


def _batches(count: int, size: int) -> int:
    return math.ceil(count / size) if count else 0


def minimum_facebook_pages(sandbox: Sandbox, account: str, settings: NetworkSettings) -> int:
    network = sandbox.state.networks["facebook_pages"]
    posts = network.truth(account, DAY, CLOCK, settings.post_lookback_days)["posts"]
    insights = math.ceil(settings.lookback_days / FACEBOOK_INSIGHTS_DAYS)
    pages = max(1, math.ceil(len(posts) / GRAPH_MAX_LIMIT))
    return insights + pages + _batches(len(posts), GRAPH_MAX_IDS)


def minimum_instagram(sandbox: Sandbox, account: str, settings: NetworkSettings) -> int:
    from social_warehouse.sandbox.instagram import MEDIA_SUPPORT

    network = sandbox.state.networks["instagram"]
    posts = network.truth(account, DAY, CLOCK, settings.post_lookback_days)["posts"]
    # the media edge lists everything newest first: read up to the first media before the window
    start = day_start(Window.ending(DAY, settings.post_lookback_days).start, network.tz)
    history = network.model(account).published_posts(CLOCK)
    newer = sum(1 for p in history if p.published_at >= start)
    media_pages = _listing_pages(newer, len(history), GRAPH_MAX_LIMIT)
    # media types that take the same metric list share `?ids=` batches
    asked = set(metric_registry.metrics("instagram", "media_insights", DAY))
    groups: dict[frozenset[str], int] = {}
    for post in posts:
        key = frozenset(MEDIA_SUPPORT[post["post_type"]] & asked)
        groups[key] = groups.get(key, 0) + 1
    insights = sum(_batches(n, GRAPH_MAX_IDS) for n in groups.values())
    series = math.ceil(settings.lookback_days / INSTAGRAM_SERIES_DAYS)
    return 1 + series + settings.lookback_days + media_pages + insights


def minimum_linkedin(sandbox: Sandbox, account: str, settings: NetworkSettings) -> int:
    network = sandbox.state.networks["linkedin"]
    posts = network.truth(account, DAY, CLOCK, settings.post_lookback_days)["posts"]
    # sorted by lastModifiedAt: read up to the first post last modified before the window
    first = Window.ending(DAY, settings.post_lookback_days).start
    start_ms = int(day_start(first, "UTC").timestamp()) * 1000
    rendered = [
        network.render_post(p, CLOCK) for p in network.model(account).published_posts(CLOCK)
    ]
    newer = sum(1 for p in rendered if p["lastModifiedAt"] >= start_ms)
    post_pages = _listing_pages(newer, len(rendered), LINKEDIN_MAX_COUNT)
    shares = sum(1 for p in posts if p["post_id"].startswith("urn:li:share:"))
    ugc = sum(1 for p in posts if p["post_id"].startswith("urn:li:ugcPost:"))
    stats = _batches(shares, LINKEDIN_MAX_URNS) + _batches(ugc, LINKEDIN_MAX_URNS)
    return 3 + post_pages + stats


MINIMUM: dict[str, Callable[[Sandbox, str, NetworkSettings], int]] = {
    "facebook_pages": minimum_facebook_pages,
    "instagram": minimum_instagram,
    "linkedin": minimum_linkedin,
}


# --- the measurement ------------------------------------------------------------------------------
def spent_requests(url: str, network: str, account: str, run_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """select coalesce(sum(requests), 0) from ops.load_manifest
               where network = %s and account_id = %s and load_date = %s and run_id = %s""",
            (network, account, DAY, run_id),
        ).fetchone()
    return int(row[0]) if row else 0


def measure(
    sandbox: Sandbox,
    url: str,
    network: str,
    settings: NetworkSettings | None = None,
    accounts: list[str] | None = None,
) -> Row:
    """Load DAY for every configured account of `network` (or `accounts`) and count requests."""
    settings = settings or settings_for(network)
    accounts = accounts or [a.account_id for a in accounts_for(network)]
    sandbox.state.clock = CLOCK
    row = Row(network)
    run_id = f"{RUN_ID}-{uuid.uuid4().hex[:8]}"
    for account in accounts:
        run_account_load(
            network,
            account,
            DAY,
            url=url,
            run_id=run_id,
            connection=ConnectionInfo(
                f"social_{network}", sandbox.base_url(network), token="sandbox-token"
            ),
            settings=settings,
            now=CLOCK,
            allow_shrink=True,
        )
        spent = spent_requests(url, network, account, run_id)
        least = MINIMUM[network](sandbox, account, settings) if network in MINIMUM else None
        row.per_account.append((account, spent, least))
        row.accounts += 1
        row.requests += spent
        if least is not None:
            row.minimum = (row.minimum or 0) + least
    return row


def table(rows: list[Row]) -> str:
    lines = [
        f"{'network':<16}{'accounts':>9}{'requests/acct-day':>19}{'minimum/acct-day':>18}"
        f"{'ratio':>8}"
    ]
    for row in rows:
        per = row.requests / row.accounts if row.accounts else 0.0
        least = f"{row.minimum / row.accounts:.2f}" if row.minimum else "-"
        ratio = f"{row.ratio:.2f}x" if row.ratio else "-"
        lines.append(f"{row.network:<16}{row.accounts:>9}{per:>19.2f}{least:>18}{ratio:>8}")
    return "\n".join(lines)


def fresh_database(name: str) -> str:

    from social_warehouse.warehouse import database, embedded
    from social_warehouse.warehouse.migrate import migrate

    server = embedded.ensure_server(echo=lambda message: None)
    url = database.recreate_database(database.with_database(server, name))
    migrate(url)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("networks", nargs="*", default=list(NETWORKS))
    parser.add_argument("--db", default="social_warehouse_bench_requests")
    parser.add_argument("--verbose", action="store_true", help="one line per account too")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    url = fresh_database(args.db)
    rows = []
    with Sandbox() as sandbox:
        for network in args.networks:
            rows.append(measure(sandbox, url, network))
    print(table(rows))
    if args.verbose:
        for row in rows:
            for account, spent, least in row.per_account:
                print(f"  {row.network:<16}{account:<40}{spent:>5}{least if least else '-':>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
