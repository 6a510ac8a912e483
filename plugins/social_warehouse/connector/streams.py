"""Declarative streams: a stream names its endpoint, key and contract; its `parse` is a pure
function from one API answer to records (good) and rejects (bad, kept with the reason)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from social_warehouse.connector.client import Request
from social_warehouse.connector.paging import Paginator, PagingProblem, dig
from social_warehouse.connector.settings import NetworkSettings
from social_warehouse.errors import PaginationError, PaginationLimitError, PaginationLoopError
from social_warehouse.timeutil import Window

if TYPE_CHECKING:
    from social_warehouse.connector.client import ApiClient

log = logging.getLogger(__name__)


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
    state: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

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


class Stream:
    """One endpoint. Subclasses set the class attributes and usually override `parse`."""

    name: ClassVar[str]
    kind: ClassVar[StreamKind]
    path: ClassVar[str] = ""
    key: ClassVar[tuple[str, ...]] = ("id",)
    fields: ClassVar[tuple[str, ...]] = ()
    contract: ClassVar[dict[str, Any]] = {}
    # Where in the stored payload the contract applies, when parse stores a wrapper around the
    # checked object (e.g. TikTok keeps the profile around each day's metrics entry).
    contract_root: ClassVar[str] = ""
    paginator: ClassVar[Paginator] = Paginator()
    records_path: ClassVar[str] = "data"
    parent: ClassVar[str | None] = None
    max_pages: ClassVar[int] = 1000

    def __init__(self, client: ApiClient, ctx: LoadContext) -> None:
        self.client = client
        self.ctx = ctx

    @property
    def window(self) -> Window:
        if self.kind is StreamKind.ACCOUNT_DAILY:
            return self.ctx.metrics_window
        if self.kind is StreamKind.POSTS:
            return self.ctx.posts_window
        return Window(self.ctx.day, self.ctx.day)

    @property
    def guard_window(self) -> Window | None:
        """The days whose records of the previous load this load should see again (the shrink
        guard); None = all of them (a snapshot of the account is one record whatever the day)."""
        if self.kind is StreamKind.ACCOUNT_SNAPSHOT:
            return None
        return self.window

    def expected_records(self) -> int | None:
        """How many records this load should hold when the stream can tell from its own inputs:
        a post-metrics child answers once per post its parent listed (the parent's listing is
        itself guarded against the previous load). None = compare with the previous load."""
        if self.kind is StreamKind.POST_METRICS and self.parent:
            return len(set(self.ctx.state.get(self.parent, [])))
        return None

    # --- what to call ----------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        return {}

    def resolved_path(self, template: str | None = None) -> str:
        """The path with the account id and API version filled in, each URL-encoded as one
        path segment: an id can never reach another object (`../`) or another endpoint."""
        return (template if template is not None else self.path).format(
            account_id=quote(self.ctx.account_id, safe=""),
            version=quote(str(self.ctx.settings.api_version), safe=""),
        )

    def requests(self) -> Iterable[Request]:
        yield Request("GET", self.resolved_path(), self.params())

    # --- how to read the answer --------------------------------------------------------------
    @classmethod
    def record_key(cls, item: dict[str, Any]) -> str:
        return "|".join(str(dig(item, k)) for k in cls.key)

    @classmethod
    def record_date(cls, item: dict[str, Any], ctx: LoadContext) -> dt.date:
        return ctx.day

    @classmethod
    def parse(cls, body: Any, ctx: LoadContext) -> ParseResult:
        """Default: a list of objects at `records_path`, each one record."""
        result = ParseResult()
        items = dig(body, cls.records_path) if cls.records_path else body
        if not isinstance(items, list):
            result.rejects.append(Reject(f"no list at '{cls.records_path}' in the answer", body))
            return result
        for item in items:
            violation = contract_violation(item, cls.contract)
            if violation:
                result.rejects.append(Reject(violation, item))
                continue
            try:
                record = Record(cls.record_key(item), cls.record_date(item, ctx), item)
            except (ValueError, TypeError, KeyError) as exc:
                result.rejects.append(Reject(f"unreadable record: {exc}", item))
                continue
            result.records.append(record)
        return result

    def count_page_items(self, body: Any) -> int:
        items = dig(body, self.records_path) if self.records_path else body
        return len(items) if isinstance(items, list | dict) else 0

    # --- the loop ------------------------------------------------------------------------
    def stop_paging(self, body: Any) -> bool:
        """True when the rest of the listing cannot hold records this stream keeps (a list
        sorted newest first that reached past the window). The API's own end is the paginator's
        business; this hook only ends a listing early on purpose."""
        return False

    def pages(self, first: Request) -> Iterator[Any]:
        """Every page of one listing, following the paginator until the API says it ended
        (empty pages with a continuation included). A continuation this listing already
        followed is a PaginationLoopError and more than `max_pages` pages a PaginationLimitError:
        neither is ever passed off as the end of the listing."""
        seen: set[tuple[Any, ...]] = set()
        request: Request | None = first
        page = 0
        while request is not None:
            fingerprint = _fingerprint(request)
            if fingerprint in seen:
                raise PaginationLoopError(
                    self.ctx.network,
                    f"{self.name}: after page {page} the API handed back a continuation this "
                    f"listing already followed ({self.paginator.cursor(request)}); following it "
                    "would loop and stopping would load a partial listing",
                    hint="nothing was written for this stream and its stored rows are kept; "
                    "rerun the task later, and report it to the network if it persists",
                )
            if page >= self.max_pages:
                raise PaginationLimitError(
                    self.ctx.network,
                    f"{self.name}: the listing did not end within {self.max_pages} pages "
                    f"(at {self.paginator.cursor(request)})",
                    hint="nothing was written for this stream and its stored rows are kept; "
                    "lower post_lookback_days or raise page_size in config/networks.yml",
                )
            seen.add(fingerprint)
            body = self.client.execute(request).body
            page += 1
            yield body
            if self.stop_paging(body):
                return
            try:
                request = self.paginator.next_request(request, body, self.count_page_items(body))
            except PagingProblem as exc:
                raise PaginationError(
                    self.ctx.network,
                    f"{self.name}: unusable paging in page {page}: {exc}",
                    hint="nothing was written for this stream and its stored rows are kept",
                ) from None

    def fetch(self) -> Iterator[ParseResult]:
        for first in self.requests():
            for page, body in enumerate(self.pages(first), start=1):
                result = self.parse(body, self.ctx)
                log.info(
                    "%s/%s %s: page %d, %d records, %d rejected",
                    self.ctx.network,
                    self.ctx.account_id,
                    self.name,
                    page,
                    len(result.records),
                    len(result.rejects),
                )
                yield result

    def collect(self) -> ParseResult:
        """Every page of the stream; the record keys are left in `ctx.state[name]` for child
        streams (posts -> post metrics)."""
        total = ParseResult()
        for result in self.fetch():
            total.extend(result)
        self.ctx.state[self.name] = [r.key for r in total.records]
        return total


def _fingerprint(request: Request) -> tuple[Any, ...]:
    """What makes two requests the same call: method, URL, parameters and body."""
    params = tuple(sorted((str(k), str(v)) for k, v in request.params.items()))
    body = repr(request.json_body) if request.json_body is not None else None
    return (request.method, request.url, params, body)
