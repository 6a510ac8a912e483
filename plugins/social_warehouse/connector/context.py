"""The types a load works with: the load's context (account, day, settings, what earlier streams
produced), records, rejects and parse results, and the contract check every parse uses."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from social_warehouse.connector.settings import NetworkSettings
from social_warehouse.timeutil import Window

log = logging.getLogger(__name__)


def dig(data: Any, path: str) -> Any:
    """Follow a dotted path through nested dicts; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class StreamKind(StrEnum):
    ACCOUNT_DAILY = "account_daily"  # one value per account, metric and day; revised for days
    ACCOUNT_SNAPSHOT = "account_snapshot"  # the account object as of the load (followers...)
    POSTS = "posts"  # post objects, re-read while they are younger than the post lookback
    POST_METRICS = "post_metrics"  # lifetime metrics per post, snapshotted on every load


@dataclass
class LoadContext:
    network: str
    account_id: str
    day: dt.date
    settings: NetworkSettings
    # the records each stream of this load collected, by stream name: what children read
    outputs: dict[str, list[Record]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def records_of(self, stream: str) -> list[Record]:
        return self.outputs.get(stream, [])

    def keys_of(self, stream: str) -> list[str]:
        """The parent's record keys in order, each once."""
        return list(dict.fromkeys(r.key for r in self.records_of(stream)))

    @property
    def metrics_window(self) -> Window:
        return Window.ending(self.day, self.settings.lookback_days)

    @property
    def posts_window(self) -> Window:
        return Window.ending(self.day, self.settings.post_lookback_days)

    def warn(self, message: str) -> None:
        log.warning("%s/%s: %s", self.network, self.account_id, message)
        self.warnings.append(message)


@dataclass(frozen=True)
class Record:
    key: str
    record_date: dt.date
    payload: dict[str, Any]


@dataclass(frozen=True)
class Reject:
    reason: str
    payload: Any
    key: str | None = None


@dataclass
class ParseResult:
    """Good records, bad ones (kept with the reason), and the count of records left out on
    purpose by reason (e.g. periods nobody asked for): those are neither loaded nor rejects."""

    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    def extend(self, other: ParseResult) -> None:
        self.records.extend(other.records)
        self.rejects.extend(other.rejects)
        for reason, count in other.dropped.items():
            self.dropped[reason] = self.dropped.get(reason, 0) + count

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def valid(
        self,
        items: Iterable[Any],
        contract: dict[str, Any],
        also: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The items that keep `contract` (and pass `also`, a check of a valid item that names
        its problem); each that does not is kept as a reject with the reason."""
        for item in items:
            problem = contract_violation(item, contract) or (also(item) if also else None)
            if problem:
                self.rejects.append(Reject(problem, item))
            else:
                yield item

    def expect(self, body: Any, path: str, kind: type, problem: str) -> Any:
        """The value at `path` (dotted) of an answer if it is a `kind`; else None, and the
        whole answer is kept as a reject with `problem` as its reason (nothing is lost)."""
        value = dig(body, path)
        if isinstance(value, kind):
            return value
        self.rejects.append(Reject(problem, body))
        return None


_TYPE_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


def contract_violation(payload: Any, contract: dict[str, Any]) -> str | None:
    """The first way `payload` breaks `contract` (dotted path -> type or tuple of types)."""
    if not isinstance(payload, dict):
        return f"record is a {type(payload).__name__}, expected an object"
    for path, types in contract.items():
        value = dig(payload, path)
        if value is None:
            return f"missing required field '{path}'"
        wanted = types if isinstance(types, tuple) else (types,)
        # bool is an int subclass in Python; a counter must not be true/false
        if isinstance(value, bool) and bool not in wanted:
            return f"field '{path}' is boolean, expected {'/'.join(_TYPE_NAMES[t] for t in wanted)}"
        if not isinstance(value, wanted):
            got = _TYPE_NAMES.get(type(value), type(value).__name__)
            return f"field '{path}' is {got}, expected {'/'.join(_TYPE_NAMES[t] for t in wanted)}"
    return None


def parse_keyed_objects(
    body: Any, contract: dict[str, Any], ctx: LoadContext, what: str
) -> ParseResult:
    """An `?ids=a,b` answer (objects keyed by id): one record per object that meets the contract,
    dated the load day (a lifetime snapshot); the others rejected with their id."""
    result = ParseResult()
    if not isinstance(body, dict):
        result.rejects.append(Reject(f"expected an object keyed by {what} id", body))
        return result
    for object_id, item in body.items():
        violation = contract_violation(item, contract)
        if violation:
            result.rejects.append(Reject(violation, item, key=str(object_id)))
            continue
        result.records.append(Record(str(item["id"]), ctx.day, item))
    return result
