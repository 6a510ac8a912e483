"""Declarative streams: a stream names its endpoint, key, contract, paginator, parent and `parse`
(a pure function from one API answer to records and rejects); the base class runs the request
loop: first requests, metric bisection when the API refuses a metric, paging with its loop guard,
parsing, and what children see of their parent.

Hooks a stream may override, all small: `params`, `requests` (first requests, e.g. batches of
the parent's ids), `metrics` / `with_metrics` (how a metric list goes into a request),
`merge_parts` (joining the answers of a bisected metric list), `fetch_request` (how one first
request becomes parsed results, e.g. a batch split when the API refuses it whole), `read` (how
one request becomes answers when an endpoint needs more than paging, e.g. a retention
bisection), `stop_paging`, `after_page` and `after_collect` (warnings)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from social_warehouse import metric_registry
from social_warehouse.connector.client import ApiClient, Request
from social_warehouse.connector.context import (
    LoadContext,
    ParseResult,
    Record,
    Reject,
    StreamKind,
    contract_violation,
    dig,
    parse_keyed_objects,
)
from social_warehouse.connector.metrics import call_dropping_invalid
from social_warehouse.connector.paging import Paginator, PagingProblem
from social_warehouse.errors import PaginationError, PaginationLimitError, PaginationLoopError
from social_warehouse.timeutil import Window

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LoadContext",
    "ParseResult",
    "Record",
    "Reject",
    "Stream",
    "StreamKind",
    "contract_violation",
    "dig",
    "ordered",
    "parse_keyed_objects",
]

log = logging.getLogger(__name__)

C = TypeVar("C", bound=ApiClient)


class Stream(Generic[C]):
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
    records_kind: ClassVar[type] = list
    # The stream whose records this one asks about (posts -> post metrics); the core loads
    # parents first and skips a child whose parent failed.
    parent: ClassVar[type[Stream[Any]] | None] = None
    # The registry source whose metrics this stream asks by name (None: it asks none); a metric
    # the API refuses is isolated by bisection, dropped with a warning, and the rest loads.
    metric_source: ClassVar[str | None] = None
    metric_what: ClassVar[str] = "metric"
    max_pages: ClassVar[int] = 1000

    def __init__(self, client: C, ctx: LoadContext) -> None:
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
            return len(self.parent_keys())
        return None

    # --- the parent's output ---------------------------------------------------------------
    def parent_records(self) -> list[Record]:
        return self.ctx.records_of(self.parent.name) if self.parent else []

    def parent_keys(self) -> list[str]:
        return self.ctx.keys_of(self.parent.name) if self.parent else []

    # --- what to call ----------------------------------------------------------------------
    def resolved_path(self, template: str | None = None) -> str:
        """The path with the account id and API version filled in, each URL-encoded as one
        path segment: an id can never reach another object (`../`) or another endpoint."""
        return (template if template is not None else self.path).format(
            account_id=quote(self.ctx.account_id, safe=""),
            version=quote(str(self.ctx.settings.api_version), safe=""),
        )

    def params(self) -> dict[str, Any]:
        return {}

    def requests(self) -> Iterable[Request]:
        yield Request("GET", self.resolved_path(), self.params())

    def metrics(self, request: Request) -> list[str] | None:
        """The metrics to ask in `request`, or None when the stream asks none by name."""
        if self.metric_source is None:
            return None
        return metric_registry.metrics(self.ctx.network, self.metric_source, self.ctx.day)

    def with_metrics(self, request: Request, names: list[str]) -> Request:
        return Request(
            request.method,
            request.url,
            {**request.params, "metric": ",".join(names)},
            request.json_body,
            request.headers,
        )

    def dropped_metrics(self, request: Request) -> set[str]:
        """Metrics the API refused earlier in this run (not asked again, for any account)."""
        return self.client.dropped_metrics.setdefault(self.metric_source or self.name, set())

    def merge_parts(self, parts: list[ParseResult]) -> ParseResult:
        """One result from the answers of a metric list split by bisection."""
        merged = ParseResult()
        for part in parts:
            merged.extend(part)
        return merged

    def read(self, request: Request) -> Iterator[Any]:
        """The answers one request leads to: every page of its listing."""
        return self.pages(request)

    # --- how to read the answer --------------------------------------------------------------
    @classmethod
    def record_key(cls, item: dict[str, Any]) -> str:
        return "|".join(str(dig(item, k)) for k in cls.key)

    @classmethod
    def record_date(cls, item: dict[str, Any], ctx: LoadContext) -> Any:
        return ctx.day

    @classmethod
    def parse(cls, body: Any, ctx: LoadContext) -> ParseResult:
        """The answer's records at `records_path` (a `records_kind`) handed to parse_records; an
        answer without them is kept whole as a reject."""
        result = ParseResult()
        if not cls.records_path:
            found = body if isinstance(body, cls.records_kind) else None
            if found is None:
                result.rejects.append(Reject(f"the {cls.name} answer is not a list", body))
        else:
            kind = "object" if cls.records_kind is dict else "list"
            where = f"no {kind} at '{cls.records_path}' in the {cls.name} answer"
            found = result.expect(body, cls.records_path, cls.records_kind, where)
        if found is not None:
            cls.parse_records(found, ctx, result)
        return result

    @classmethod
    def parse_records(cls, items: Any, ctx: LoadContext, result: ParseResult) -> None:
        """Default: each item that keeps the contract is one record."""
        for item in result.valid(items, cls.contract):
            try:
                record = Record(cls.record_key(item), cls.record_date(item, ctx), item)
            except (ValueError, TypeError, KeyError) as exc:
                result.rejects.append(Reject(f"unreadable record: {exc}", item))
                continue
            result.records.append(record)

    def count_page_items(self, body: Any) -> int:
        items = dig(body, self.records_path) if self.records_path else body
        return len(items) if isinstance(items, list | dict) else 0

    def after_page(self, request: Request, body: Any, result: ParseResult) -> None:
        """Look at one parsed answer (e.g. to tally partial errors for a warning)."""

    def after_collect(self, result: ParseResult) -> None:
        """Look at everything the stream collected (warnings, or an error when it is empty)."""

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

    def parse_answer(self, request: Request, body: Any) -> ParseResult:
        """`parse` for one answer; a stream whose answers do not say what they are about (a
        total over the day asked) reads that from the request here."""
        return self.parse(body, self.ctx)

    def metric_label(self, request: Request) -> str:
        """How a warning about a refused metric names it."""
        return self.metric_what

    def _parsed(self, request: Request) -> Iterator[ParseResult]:
        seen: set[str] = set()
        for page, body in enumerate(self.read(request), start=1):
            result = self.parse_answer(request, body)
            keys = {r.key for r in result.records}
            if page > 1 and keys and keys <= seen:
                # an API without continuations (offsets counted by the client) that answers
                # the same records again is looping just the same
                raise PaginationLoopError(
                    self.ctx.network,
                    f"{self.name}: answer {page} repeats records this listing already had "
                    f"(e.g. {sorted(keys)[0]}); the API is not moving on",
                    hint="nothing was written for this stream and its stored rows are kept; "
                    "rerun the task later, and report it to the network if it persists",
                )
            seen |= keys
            self.after_page(request, body, result)
            log.info(
                "%s/%s %s: answer %d, %d records, %d rejected",
                self.ctx.network,
                self.ctx.account_id,
                self.name,
                page,
                len(result.records),
                len(result.rejects),
            )
            yield result

    def _gathered(self, request: Request) -> ParseResult:
        total = ParseResult()
        for result in self._parsed(request):
            total.extend(result)
        return total

    def fetch(self) -> Iterator[ParseResult]:
        if self.parent is not None and not self.parent_records():
            log.info(
                "%s/%s %s: its parent %s produced no records, so there is nothing to ask",
                self.ctx.network,
                self.ctx.account_id,
                self.name,
                self.parent.name,
            )
            return
        for request in self.requests():
            yield from self.fetch_request(request)

    def fetch_request(self, request: Request) -> Iterator[ParseResult]:
        """The parsed answers of one first request: its pages, or, when the stream asks metrics
        by name, one result merged from the calls that survive metric bisection."""
        names = self.metrics(request)
        if names is None:
            yield from self._parsed(request)
            return
        parts = call_dropping_invalid(
            names,
            lambda chosen: self._gathered(self.with_metrics(request, chosen)),
            self.ctx,
            self.dropped_metrics(request),
            self.metric_label(request),
        )
        if parts:
            yield self.merge_parts(parts)

    def collect(self) -> ParseResult:
        """Every answer of the stream; its records are left in `ctx.outputs` for children."""
        total = ParseResult()
        for result in self.fetch():
            total.extend(result)
        self.after_collect(total)
        self.ctx.outputs[self.name] = list(total.records)
        return total


def ordered(streams: Sequence[type[Stream[Any]]]) -> list[type[Stream[Any]]]:
    """Parents before their children, otherwise in declaration order."""
    done: list[type[Stream[Any]]] = []

    def visit(stream: type[Stream[Any]], path: tuple[str, ...]) -> None:
        if stream in done:
            return
        if stream.name in path:
            raise ValueError(f"streams form a cycle: {' -> '.join((*path, stream.name))}")
        if stream.parent is not None:
            if stream.parent not in streams:
                raise ValueError(
                    f"stream {stream.name!r} has parent {stream.parent.name!r}, which its "
                    "network does not declare"
                )
            visit(stream.parent, (*path, stream.name))
        done.append(stream)

    for stream in streams:
        visit(stream, ())
    return done


def _fingerprint(request: Request) -> tuple[Any, ...]:
    """What makes two requests the same call: method, URL, parameters and body."""
    params = tuple(sorted((str(k), str(v)) for k, v in request.params.items()))
    body = repr(request.json_body) if request.json_body is not None else None
    return (request.method, request.url, params, body)
