"""The sandbox's deterministic world. Every number is a pure function of (seed, network, account,
day or post, and the sandbox clock), so a test can ask what a perfect client should have loaded.

One latent model serves every network; each network module only renders it in its own wire
format and metric names:
- a post's lifetime counters grow towards a final value (half-life `HALF_LIFE_HOURS`) and are
  exactly final `SETTLE_DAYS` after publishing;
- an account's daily engagement counters are the sum of its posts' growth during that day, so
  account totals reconcile with their posts once settled;
- a closed day's account metrics are first reported at `FIRST_REPORT_SHARE` of their final value
  and revised hourly until `REVISION_HOURS` after the day closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from social_warehouse.timeutil import day_start

EPOCH = dt.date(2024, 1, 1)
HALF_LIFE_HOURS = 30
SETTLE_DAYS = 28
REVISION_HOURS = 48
FIRST_REPORT_SHARE = 0.8

COUNTERS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks", "video_views")
DAILY_FLOWS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
    "profile_views",
    "follower_gains",
    "follower_losses",
)


def _digest(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng(*parts: object) -> random.Random:
    return random.Random(_digest(*parts))


def unit(*parts: object) -> float:
    return _digest(*parts) / 2**64


def growth(hours: int) -> float:
    """Share of a post's final lifetime value reached `hours` after publishing."""
    if hours < 0:
        return 0.0
    if hours >= SETTLE_DAYS * 24:
        return 1.0
    return 1.0 - 0.5 ** (hours / HALF_LIFE_HOURS)


def revision_share(hours_since_close: int) -> float:
    if hours_since_close >= REVISION_HOURS:
        return 1.0
    return (
        FIRST_REPORT_SHARE + (1 - FIRST_REPORT_SHARE) * max(hours_since_close, 0) / REVISION_HOURS
    )


def whole_hours(later: dt.datetime, earlier: dt.datetime) -> int:
    return math.floor((later - earlier).total_seconds() / 3600)


@dataclass(frozen=True)
class Post:
    post_id: str
    account_id: str
    index: int
    published_at: dt.datetime
    post_type: str
    text: str
    final: dict[str, int]

    def lifetime(self, as_of: dt.datetime) -> dict[str, int]:
        share = growth(whole_hours(as_of, self.published_at))
        return {k: math.floor(v * share) for k, v in self.final.items()}


@dataclass(frozen=True)
class AccountProfile:
    base_followers: int
    posts_per_day: float
    reach_ratio: float
    engagement_rate: float
    video_share: float


class AccountModel:
    """One account on one network. `post_types` lists the network's post types; those named in
    `video_types` carry video views."""

    def __init__(
        self,
        seed: int,
        network: str,
        account_id: str,
        *,
        tz: str = "UTC",
        post_types: tuple[str, ...] = ("photo", "video", "link", "status"),
        video_types: tuple[str, ...] = ("video",),
        post_id_format: str = "{account_id}_{n}",
        has_saves: bool = True,
        defects: dict[tuple[dt.date, str], float] | None = None,
    ) -> None:
        self.seed = seed
        # (day, counter) -> factor: a test's injected defect (0 = the counter reads zero that day)
        self.defects = defects if defects is not None else {}
        self.network = network
        self.account_id = account_id
        self.tz = tz
        self.post_types = post_types
        self.video_types = video_types
        self.post_id_format = post_id_format
        self.has_saves = has_saves
        r = rng(seed, network, account_id, "profile")
        self.profile = AccountProfile(
            base_followers=int(10 ** r.uniform(3.2, 5.3)),
            posts_per_day=r.uniform(0.6, 2.4),
            reach_ratio=r.uniform(0.55, 0.85),
            engagement_rate=r.uniform(0.02, 0.07),
            video_share=r.uniform(0.2, 0.6),
        )

    # --- time ----------------------------------------------------------------------------
    def day_close(self, day: dt.date) -> dt.datetime:
        return day_start(day + dt.timedelta(days=1), self.tz)

    def is_closed(self, day: dt.date, as_of: dt.datetime, lag_hours: int = 0) -> bool:
        return as_of >= self.day_close(day) + dt.timedelta(hours=lag_hours)

    # --- posts -----------------------------------------------------------------------------
    @lru_cache(maxsize=4096)  # noqa: B019 - one model per account, kept for the server's life
    def posts_on(self, day: dt.date) -> tuple[Post, ...]:
        r = rng(self.seed, self.network, self.account_id, "posts", day)
        mean = self.profile.posts_per_day
        count = int(mean) + (1 if r.random() < mean - int(mean) else 0)
        start = day_start(day, self.tz)
        minutes = sorted(r.randrange(6 * 60, 22 * 60) for _ in range(count))
        posts = []
        for i, minute in enumerate(minutes):
            n = (day - EPOCH).days * 10 + i + 1
            others = [t for t in self.post_types if t not in self.video_types]
            pool = list(self.video_types) if r.random() < self.profile.video_share else others
            post_type = (pool or list(self.post_types))[r.randrange(len(pool or self.post_types))]
            posts.append(self._make_post(r, n, start + dt.timedelta(minutes=minute), post_type))
        return tuple(posts)

    def _make_post(self, r: random.Random, n: int, published: dt.datetime, post_type: str) -> Post:
        followers = self.profile.base_followers
        impressions = int(followers * r.uniform(0.15, 0.9)) + r.randrange(50, 400)
        reach = int(impressions * r.uniform(0.6, 0.92))
        engaged = max(1, int(impressions * self.profile.engagement_rate * r.uniform(0.5, 1.6)))
        likes = int(engaged * r.uniform(0.55, 0.75))
        comments = int(engaged * r.uniform(0.05, 0.15))
        shares = int(engaged * r.uniform(0.03, 0.1))
        saves = int(engaged * r.uniform(0.02, 0.08)) if self.has_saves else 0
        clicks = int(engaged * r.uniform(0.05, 0.2))
        video_views = int(impressions * r.uniform(0.3, 0.7)) if post_type in self.video_types else 0
        final = {
            "impressions": impressions,
            "reach": reach,
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "saves": saves,
            "clicks": clicks,
            "video_views": video_views,
        }
        topic = ("launch", "behind the scenes", "tips", "giveaway", "team", "event")[n % 6]
        post_id = self.post_id_format.format(
            account_id=self.account_id, n=n, hex=f"{_digest(self.account_id, n):016x}"
        )
        return Post(
            post_id, self.account_id, n, published, post_type, f"Our {topic} post #{n}", final
        )

    def posts_between(self, first: dt.date, last: dt.date) -> list[Post]:
        posts: list[Post] = []
        day = max(first, EPOCH)
        while day <= last:
            posts.extend(self.posts_on(day))
            day += dt.timedelta(days=1)
        return posts

    def published_posts(
        self, as_of: dt.datetime, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Post]:
        """Posts published before `as_of` (and inside [since, until) when given), newest first."""
        first = (
            (since.date() - dt.timedelta(days=1))
            if since
            else as_of.date() - dt.timedelta(days=400)
        )
        last = min(as_of.date(), until.date()) if until else as_of.date()
        posts = [
            p
            for p in self.posts_between(first, last + dt.timedelta(days=1))
            if p.published_at <= as_of
            and (since is None or p.published_at >= since)
            and (until is None or p.published_at < until)
        ]
        return sorted(posts, key=lambda p: p.published_at, reverse=True)

    def post_by_index(self, index: int) -> Post | None:
        day = EPOCH + dt.timedelta(days=(index - 1) // 10)
        for post in self.posts_on(day):
            if post.index == index:
                return post
        return None

    # --- account days ------------------------------------------------------------------------
    @lru_cache(maxsize=8192)  # noqa: B019
    def final_day(self, day: dt.date) -> dict[str, int]:
        """The settled daily values of `day` (the revision applied by `day_as_of`)."""
        start, close = day_start(day, self.tz), self.day_close(day)
        totals = dict.fromkeys(COUNTERS, 0)
        for post in self.posts_between(day - dt.timedelta(days=SETTLE_DAYS + 1), day):
            if post.published_at >= close:
                continue
            before, after = post.lifetime(start), post.lifetime(close)
            for k in COUNTERS:
                totals[k] += after[k] - before[k]
        r = rng(self.seed, self.network, self.account_id, "day", day)
        non_post = int(self.profile.base_followers * r.uniform(0.01, 0.05))
        totals["impressions"] += non_post
        # Unique daily reach is smaller than the sum of the posts' reach growth.
        totals["reach"] = min(
            totals["impressions"], int(totals["reach"] * self.profile.reach_ratio) + non_post // 2
        )
        followers = self.profile.base_followers
        totals["profile_views"] = int(followers * r.uniform(0.002, 0.01))
        totals.update(self._flows(day))
        totals["posts_published"] = len(self.posts_on(day))
        return totals

    def followers_at_end(self, day: dt.date) -> int:
        """Followers at the end of `day`: the base plus every day's net gain since EPOCH."""
        cache = self.__dict__.setdefault("_followers", {})
        if day < EPOCH:
            return self.profile.base_followers
        if day in cache:
            return cache[day]
        known = [d for d in cache if d < day]
        cursor = max(known) if known else EPOCH - dt.timedelta(days=1)
        total = cache[cursor] if known else self.profile.base_followers
        while cursor < day:
            cursor += dt.timedelta(days=1)
            final = self._flows(cursor)
            total += final["follower_gains"] - final["follower_losses"]
            cache[cursor] = total
        return total

    def _flows(self, day: dt.date) -> dict[str, int]:
        """Follower flows only: cheap, so the follower total can walk back to EPOCH."""
        r = rng(self.seed, self.network, self.account_id, "day", day)
        r.uniform(0.01, 0.05)
        followers = self.profile.base_followers
        r.uniform(0.002, 0.01)
        gains = int(followers * r.uniform(0.001, 0.004)) + r.randrange(0, 5)
        losses = int(followers * r.uniform(0.0002, 0.0012))
        return {"follower_gains": gains, "follower_losses": losses}

    def day_as_of(
        self, day: dt.date, as_of: dt.datetime, lag_hours: int = 0
    ) -> dict[str, int] | None:
        """What the API reports for `day` at `as_of`: None before the day closed (plus the
        network's lag), then values revised upwards until REVISION_HOURS after closing."""
        if day < EPOCH or not self.is_closed(day, as_of, lag_hours):
            return None
        share = revision_share(whole_hours(as_of, self.day_close(day)))
        final = self.final_day(day)
        values = {
            k: math.floor(final[k] * share * self.defects.get((day, k), 1.0)) for k in DAILY_FLOWS
        }
        values["posts_published"] = final["posts_published"]
        values["followers"] = self.followers_at_end(day)
        return values

    def followers_now(self, as_of: dt.datetime) -> int:
        """Follower count as an account object shows it at `as_of` (end of the last closed day)."""
        from social_warehouse.timeutil import local_day

        today = local_day(as_of, self.tz)
        return self.followers_at_end(today - dt.timedelta(days=1))
