"""One account's load for one day: every stream of its network, each written in its own
transaction. Used by the Airflow task and by `social-warehouse extract` alike."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from social_warehouse.config import NetworkSettings, check_account_id, load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.client import ApiClient
from social_warehouse.connector.streams import LoadContext, Reject, Stream, ordered
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    AuthError,
    ConfigError,
    QuotaExceededError,
    SocialWarehouseError,
)
from social_warehouse.grants import credentials_for, load_grant
from social_warehouse.loader import Loader, LoadKey, LoadResult, ShrinkCheck
from social_warehouse.networks import catalog
from social_warehouse.timeutil import day_end, last_ended_day

log = logging.getLogger(__name__)


class LoadFailedError(SocialWarehouseError):
    """Some streams of an account failed; the others loaded. The message lists each failure."""


@dataclass
class AccountLoad:
    network: str
    account_id: str
    day: dt.date
    results: list[LoadResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    quota_stopped: bool = False

    @property
    def records(self) -> int:
        return sum(r.records for r in self.results)

    def summary(self) -> dict:
        return {
            "network": self.network,
            "account_id": self.account_id,
            "day": self.day.isoformat(),
            "records": self.records,
            "rejected": sum(r.rejected for r in self.results),
            "dropped": sum(r.dropped for r in self.results),
            "streams": {r.stream: r.status for r in self.results},
            "errors": self.errors,
            "quota_stopped": self.quota_stopped,
        }


def spent(client: ApiClient, before: dict) -> dict:
    """The client's request counters since `before` (one stream's share)."""
    after = client.stats.as_dict()
    return {k: round(after[k] - before.get(k, 0), 3) for k in after}


def run_account_load(
    network: str,
    account_id: str,
    day: dt.date,
    *,
    run_id: str | None = None,
    url: str | None = None,
    settings: NetworkSettings | None = None,
    connection: ConnectionInfo | None = None,
    client: ApiClient | None = None,
    raise_on_error: bool = True,
    allow_shrink: bool = False,
    now: dt.datetime | None = None,
    grant_name: str | None = None,
) -> AccountLoad:
    spec = catalog.get(network)
    settings = settings or load_network_settings(network)
    check_account_id(network, account_id, f"{network} account")
    check_day_has_ended(day, settings, now)
    if client is None and connection is not None:
        client = spec.client_class(connection, settings)
    elif client is None:
        grant = load_grant(network, grant_name or settings.connection_id)
        credentials = credentials_for(grant, account_id, url=url)
        client = spec.client_class(grant.conn, settings, credentials=credentials)
    run_id = run_id or f"manual__{day.isoformat()}"
    ctx = LoadContext(network, account_id, day, settings)
    outcome = AccountLoad(network, account_id, day)
    unusable: set[str] = set()
    with Loader(url) as loader:
        for stream_cls in ordered(spec.streams):
            stream = stream_cls(client, ctx)
            key = LoadKey(network, account_id, stream.name, day)
            load_id = loader.begin(key, run_id=run_id, window=stream.window)
            parent = stream.parent.name if stream.parent else None
            if outcome.quota_stopped or (parent and parent in unusable):
                reason = (
                    "quota exhausted earlier in this load"
                    if outcome.quota_stopped
                    else f"parent stream {parent!r} was not loaded"
                )
                loader.fail(key, load_id, f"skipped: {reason}", status="skipped")
                outcome.results.append(
                    LoadResult(
                        load_id, network, account_id, stream.name, day, "skipped", error=reason
                    )
                )
                unusable.add(stream.name)
                continue
            stats_before = client.stats.as_dict()
            warnings_before = len(ctx.warnings)
            extracted_at = dt.datetime.now(dt.UTC)
            try:
                result = stream.collect()
            except (AuthError, ApiVersionError) as exc:
                loader.fail(key, load_id, str(exc), stats=spent(client, stats_before))
                raise
            except QuotaExceededError as exc:
                loader.fail(key, load_id, str(exc), stats=spent(client, stats_before))
                outcome.quota_stopped = True
                outcome.results.append(
                    LoadResult(
                        load_id, network, account_id, stream.name, day, "failed", error=str(exc)
                    )
                )
                unusable.add(stream.name)
                log.warning(
                    "%s/%s: quota exhausted, stopping this account's load: %s",
                    network,
                    account_id,
                    exc,
                )
                continue
            except ApiError as exc:
                # an answer that was not JSON at all is kept too, with why it was refused
                body = getattr(exc, "body", None)
                loader.fail(
                    key,
                    load_id,
                    str(exc),
                    stats=spent(client, stats_before),
                    warnings=ctx.warnings[warnings_before:],
                    rejects=[Reject(f"unparseable answer: {exc.api_message}", body)]
                    if body
                    else None,
                )
                outcome.errors.append(f"{stream.name}: {exc}")
                outcome.results.append(
                    LoadResult(
                        load_id, network, account_id, stream.name, day, "failed", error=str(exc)
                    )
                )
                unusable.add(stream.name)
                log.error("%s/%s %s failed: %s", network, account_id, stream.name, exc)
                continue
            except Exception as exc:
                # a bug, not an API answer: record it on the load, keep the stored rows, stop
                loader.fail(
                    key, load_id, f"unexpected error: {exc!r}", stats=spent(client, stats_before)
                )
                raise
            loaded = loader.write(
                key,
                load_id,
                run_id=run_id,
                extracted_at=extracted_at,
                result=result,
                guard=shrink_check(stream, settings, allow_shrink),
                stats=spent(client, stats_before),
                warnings=ctx.warnings[warnings_before:],
            )
            outcome.results.append(loaded)
            if loaded.status == "refused":
                outcome.errors.append(f"{stream.name}: {loaded.error}")
                unusable.add(stream.name)
                log.error("%s", loaded.error)
                continue
            log.info(
                "%s/%s %s for %s (window %s): %d records, %d rejected, %d replaced%s",
                network,
                account_id,
                stream.name,
                day,
                stream.window,
                loaded.records,
                loaded.rejected,
                loaded.replaced,
                f", {loaded.dropped} left out" if loaded.dropped else "",
            )
    if outcome.errors and raise_on_error:
        raise LoadFailedError(
            f"{network}/{account_id} {day}: {len(outcome.errors)} stream(s) failed, the others "
            f"loaded. " + " | ".join(outcome.errors) + ". Rerun the task once the cause is fixed."
        )
    return outcome


def check_day_has_ended(
    day: dt.date, settings: NetworkSettings, now: dt.datetime | None = None
) -> None:
    """A day that is not over in the network's own time zone has no final numbers yet: loading
    it would store a partial day as if it were whole."""
    now = now or dt.datetime.now(dt.UTC)
    if day > last_ended_day(now, settings.timezone):
        ready = day_end(day, settings.timezone)
        raise ConfigError(
            f"{day} has not ended yet in {settings.network}'s time zone ({settings.timezone}): "
            f"it can be loaded from {ready:%Y-%m-%d %H:%M} UTC on"
        )


def shrink_check(stream: Stream, settings: NetworkSettings, allow_shrink: bool) -> ShrinkCheck:
    return ShrinkCheck(
        window=stream.guard_window,
        expected_override=stream.expected_records(),
        threshold=settings.shrink_threshold,
        allow_shrink=allow_shrink,
    )
