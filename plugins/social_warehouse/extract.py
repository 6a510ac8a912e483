"""One account's load for one day: every stream of its network, each written in its own
transaction. Used by the Airflow task and by `social-warehouse extract` alike."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from social_warehouse.config import NetworkSettings, load_network_settings
from social_warehouse.connections import ConnectionInfo, get_connection
from social_warehouse.connector.client import ApiClient
from social_warehouse.connector.streams import LoadContext, Reject
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    AuthError,
    QuotaExceededError,
    SocialWarehouseError,
)
from social_warehouse.loader import LoadResult, finish_failed, start_load, write_load
from social_warehouse.networks import registry
from social_warehouse.warehouse import database

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
            "streams": {r.stream: r.status for r in self.results},
            "errors": self.errors,
            "quota_stopped": self.quota_stopped,
        }


def _delta(after: dict, before: dict) -> dict:
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
) -> AccountLoad:
    spec = registry.get(network)
    settings = settings or load_network_settings(network)
    client = client or spec.client_class(
        connection or get_connection(settings.connection_id), settings
    )
    run_id = run_id or f"manual__{day.isoformat()}"
    ctx = LoadContext(network, account_id, day, settings)
    outcome = AccountLoad(network, account_id, day)
    unusable: set[str] = set()
    with database.connect(url) as db:
        for stream_cls in spec.streams:
            stream = stream_cls(client, ctx)
            load_id = start_load(
                db,
                run_id=run_id,
                network=network,
                account_id=account_id,
                stream=stream.name,
                load_date=day,
                window=stream.window,
            )
            if outcome.quota_stopped or (stream.parent and stream.parent in unusable):
                reason = (
                    "quota exhausted earlier in this load"
                    if outcome.quota_stopped
                    else f"parent stream {stream.parent!r} failed"
                )
                finish_failed(db, load_id, f"skipped: {reason}", status="skipped")
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
                finish_failed(db, load_id, str(exc), _delta(client.stats.as_dict(), stats_before))
                raise
            except QuotaExceededError as exc:
                finish_failed(db, load_id, str(exc), _delta(client.stats.as_dict(), stats_before))
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
                finish_failed(
                    db,
                    load_id,
                    str(exc),
                    _delta(client.stats.as_dict(), stats_before),
                    ctx.warnings[warnings_before:],
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
            loaded = write_load(
                db,
                load_id=load_id,
                run_id=run_id,
                network=network,
                account_id=account_id,
                stream=stream.name,
                load_date=day,
                extracted_at=extracted_at,
                result=result,
                stats=_delta(client.stats.as_dict(), stats_before),
                warnings=ctx.warnings[warnings_before:],
            )
            outcome.results.append(loaded)
            log.info(
                "%s/%s %s for %s (window %s): %d records, %d rejected, %d replaced",
                network,
                account_id,
                stream.name,
                day,
                stream.window,
                loaded.records,
                loaded.rejected,
                loaded.replaced,
            )
    if outcome.errors and raise_on_error:
        raise LoadFailedError(
            f"{network}/{account_id} {day}: {len(outcome.errors)} stream(s) failed, the others "
            f"loaded. " + " | ".join(outcome.errors) + ". Rerun the task once the cause is fixed."
        )
    return outcome
