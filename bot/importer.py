"""Bulk import of catalog, customers, interactions and reviews from CSV or JSONL files.

Every row is validated first; if any row is bad, nothing is written and the
:class:`~bot.errors.ValidationError` lists each problem by row and column. A good file is
written in one transaction with bulk upserts on natural keys (SKU, sender id, event id,
review id), so importing the same file twice changes nothing. Profiles of the customers
touched are rebuilt in the same transaction.

Example:
    >>> from bot.importer import import_file
    >>> report = import_file("interactions", "data/demo/interactions.csv", store)   # doctest: +SKIP
    >>> report.inserted, report.unchanged                                             # doctest: +SKIP
    (8000, 0)
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog import ProductRecord
from bot.errors import ValidationError
from bot.privacy import redact

if TYPE_CHECKING:
    from bot.encoder import Encoder
    from bot.store import Store

logger = logging.getLogger(__name__)

ImportKind = Literal["catalog", "customers", "interactions", "reviews"]
IMPORT_KINDS: tuple[str, ...] = ("catalog", "customers", "interactions", "reviews")

#: Rows per bulk statement.
BATCH = 2000
#: Problems listed in the exception's message (all of them are in ``problems``).
MESSAGE_PROBLEMS = 20


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_field(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg}") from exc
    return value


class CustomerRecord(BaseModel):
    """One customer row: the sender id plus non-identifying facts and marketing consent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sender_id: str = Field(min_length=1, max_length=255)
    locale: str = Field(default="zh", min_length=2, max_length=16)
    marketing_consent: bool = False
    consent_at: datetime | None = None
    age: int | None = Field(default=None, ge=0, le=120)
    city: str | None = Field(default=None, max_length=64)
    annual_income: float | None = Field(default=None, ge=0)
    employment: Literal["employed", "self_employed", "retired", "student", "unemployed"] | None = (
        None
    )
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("consent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @field_validator("attributes", mode="before")
    @classmethod
    def _parse_attributes(cls, value: Any) -> Any:
        return _json_field(value)

    def to_row(self) -> dict[str, Any]:
        """Column values of the ``customers`` table."""
        attributes = dict(self.attributes)
        for name in ("age", "city", "annual_income", "employment"):
            value = getattr(self, name)
            if value is not None:
                attributes[name] = value
        return {
            "sender_id": self.sender_id,
            "locale": self.locale,
            "marketing_consent": self.marketing_consent,
            "consent_updated_at": self.consent_at,
            "attributes": attributes,
        }


class InteractionRecord(BaseModel):
    """One behavioural event row."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str | None = Field(default=None, min_length=1, max_length=191)
    sender_id: str = Field(min_length=1, max_length=255)
    sku: str = Field(min_length=1, max_length=64)
    kind: Literal["view", "click", "cart", "purchase", "rating"]
    value: float | None = None
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @model_validator(mode="after")
    def _rating_has_stars(self) -> InteractionRecord:
        if self.kind == "rating" and (self.value is None or not 1 <= self.value <= 5):
            raise ValueError("value: a rating needs a value between 1 and 5")
        if self.value is not None and self.value < 0:
            raise ValueError("value: must not be negative")
        return self

    def key(self) -> str:
        """The natural key: ``event_id``, or a hash of the row when the file has none."""
        if self.event_id:
            return self.event_id
        raw = f"{self.sender_id}|{self.sku}|{self.kind}|{self.occurred_at.isoformat()}|{self.value}"
        return "imp-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:32]


class ReviewRecord(BaseModel):
    """One review row; the text is redacted before it is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_id: str | None = Field(default=None, min_length=1, max_length=191)
    sender_id: str = Field(min_length=1, max_length=255)
    sku: str | None = Field(default=None, max_length=64)
    rating: int | None = Field(default=None, ge=1, le=5)
    language: str | None = Field(default=None, max_length=8)
    text: str = Field(min_length=1)
    sentiment: float | str | None = None
    aspects: dict[str, float | str] = Field(default_factory=dict)
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @field_validator("aspects", mode="before")
    @classmethod
    def _parse_aspects(cls, value: Any) -> Any:
        return _json_field(value)

    @field_validator("sentiment", mode="before")
    @classmethod
    def _parse_sentiment(cls, value: Any) -> Any:
        from bot.profiles import sentiment_score

        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        try:
            return sentiment_score(value)
        except ValidationError as exc:
            raise ValueError("; ".join(exc.problems)) from exc

    @field_validator("aspects")
    @classmethod
    def _check_aspects(cls, value: dict[str, float | str]) -> dict[str, float | str]:
        from bot.profiles import sentiment_score

        for aspect, sentiment in value.items():
            try:
                sentiment_score(sentiment)
            except ValidationError as exc:
                raise ValueError(f"aspect {aspect!r}: {'; '.join(exc.problems)}") from exc
        return value

    def key(self) -> str:
        """The natural key: ``review_id``, or a hash of the row when the file has none."""
        if self.review_id:
            return self.review_id
        raw = f"{self.sender_id}|{self.sku}|{self.created_at.isoformat()}|{self.text}"
        return "imp-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:32]


RECORD_MODELS: dict[str, type[BaseModel]] = {
    "catalog": ProductRecord,
    "customers": CustomerRecord,
    "interactions": InteractionRecord,
    "reviews": ReviewRecord,
}


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Attributes:
        kind: what was imported.
        path: the file.
        rows: valid rows read.
        inserted: rows that were new.
        updated: existing rows overwritten (catalog, customers, reviews).
        unchanged: rows already present and left alone (interactions, duplicates).
        profiles_rebuilt: customers whose profiles were recomputed.
        seconds: wall time.
    """

    kind: str
    path: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    profiles_rebuilt: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return dict(self.__dict__)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawRow:
    row: int
    line: int
    data: dict[str, Any] | None
    problem: str | None = None


def _where(row: int, line: int) -> str:
    return f"row {row} (line {line})"


def _read_csv(path: Path) -> Iterator[_RawRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for index, raw in enumerate(reader, start=1):
            line = reader.line_num
            if None in raw:
                yield _RawRow(index, line, None, f"{_where(index, line)}: more values than columns")
                continue
            yield _RawRow(
                index, line, {k.strip(): v for k, v in raw.items() if v not in ("", None)}
            )


def _read_jsonl(path: Path) -> Iterator[_RawRow]:
    index = 0
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            index += 1
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield _RawRow(
                    index, line_no, None, f"{_where(index, line_no)}: invalid JSON ({exc.msg})"
                )
                continue
            if not isinstance(data, dict):
                yield _RawRow(
                    index, line_no, None, f"{_where(index, line_no)}: expected a JSON object"
                )
                continue
            yield _RawRow(
                index, line_no, {k: v for k, v in data.items() if v is not None and v != ""}
            )


def _read(path: Path) -> Iterator[_RawRow]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    raise ValidationError(
        f"unsupported file type {path.name!r}", problems=[f"{path.name}: use .csv or .jsonl"]
    )


def _describe(error: Any) -> tuple[str, str]:
    loc = error.get("loc") or ()
    column = str(loc[0]) if loc else ""
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid"))
    if kind == "missing":
        message = "missing value"
    elif kind == "extra_forbidden":
        message = "unknown column"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if not column and ": " in message and message.split(": ", 1)[0].isidentifier():
        # model-level checks name their column as "column: problem"
        column, message = message.split(": ", 1)
    return column, message


def _validate_rows(
    kind: str, path: Path, progress: bool
) -> tuple[list[tuple[int, int, BaseModel]], list[str]]:
    from tqdm import tqdm

    model = RECORD_MODELS[kind]
    records: list[tuple[int, int, BaseModel]] = []
    problems: list[str] = []
    rows: Iterable[_RawRow] = _read(path)
    for raw in tqdm(
        rows, desc=f"validate {path.name}", unit="row", disable=None if progress else True
    ):
        if raw.data is None:
            problems.append(raw.problem or _where(raw.row, raw.line))
            continue
        try:
            records.append((raw.row, raw.line, model.model_validate(raw.data)))
        except PydanticValidationError as exc:
            for error in exc.errors():
                column, message = _describe(error)
                where = _where(raw.row, raw.line)
                problems.append(
                    f"{where}, column {column}: {message}" if column else f"{where}: {message}"
                )
    return records, problems


def _key_of(kind: str, record: BaseModel) -> str:
    if isinstance(record, ProductRecord):
        return record.sku
    if isinstance(record, CustomerRecord):
        return record.sender_id
    if isinstance(record, InteractionRecord | ReviewRecord):
        return record.key()
    raise AssertionError(kind)  # pragma: no cover


_KEY_COLUMN = {
    "catalog": "sku",
    "customers": "sender_id",
    "interactions": "event_id",
    "reviews": "review_id",
}


def _duplicates(
    kind: str, records: Sequence[tuple[int, int, BaseModel]]
) -> tuple[list[tuple[int, int, BaseModel]], list[str], int]:
    """Drop exact repeats of a derived key; report a key reused for different content."""
    seen: dict[str, tuple[int, BaseModel]] = {}
    kept: list[tuple[int, int, BaseModel]] = []
    problems: list[str] = []
    repeats = 0
    for row, line, record in records:
        key = _key_of(kind, record)
        first = seen.get(key)
        if first is None:
            seen[key] = (row, record)
            kept.append((row, line, record))
        elif first[1] == record:
            repeats += 1
        else:
            problems.append(
                f"{_where(row, line)}, column {_KEY_COLUMN[kind]}: {key!r} already used by row {first[0]}"
            )
    return kept, problems, repeats


def validate_file(kind: str, path: str | Path, *, progress: bool = False) -> list[BaseModel]:
    """Read and validate a whole file without touching a database.

    Args:
        kind: ``catalog``, ``customers``, ``interactions`` or ``reviews``.
        path: a ``.csv`` or ``.jsonl`` file.
        progress: show a progress bar.

    Returns:
        The valid records, in file order (exact repeats dropped).

    Raises:
        ValidationError: the file is missing or any row is invalid; ``problems`` holds one
            entry per problem, e.g. ``"row 3 (line 4), column price: Input should be ≥ 0"``.
    """
    if kind not in RECORD_MODELS:
        raise ValidationError(
            f"unknown import kind {kind!r}",
            problems=[f"kind: use one of {', '.join(IMPORT_KINDS)}"],
        )
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"no such file: {file}", problems=[f"{file}: not found"])
    records, problems = _validate_rows(kind, file, progress)
    records, dup_problems, _ = _duplicates(kind, records)
    problems += dup_problems
    _raise_if(file, problems)
    return [record for _, _, record in records]


def _raise_if(path: Path, problems: list[str]) -> None:
    if not problems:
        return
    shown = "\n  ".join(problems[:MESSAGE_PROBLEMS])
    more = (
        f"\n  ... and {len(problems) - MESSAGE_PROBLEMS} more"
        if len(problems) > MESSAGE_PROBLEMS
        else ""
    )
    raise ValidationError(
        f"{path.name}: {len(problems)} problem(s), nothing was imported:\n  {shown}{more}",
        problems=problems,
    )


# --- writing -------------------------------------------------------------------------------


def import_file(
    kind: str,
    path: str | Path,
    store: Store,
    *,
    encoder: Encoder | None = None,
    progress: bool = True,
) -> ImportReport:
    """Validate a file, then write it in one transaction (all or nothing, idempotent).

    Args:
        kind: ``catalog``, ``customers``, ``interactions`` or ``reviews``.
        path: a ``.csv`` or ``.jsonl`` file.
        store: the target store.
        encoder: embeds review texts so they move the authors' text vectors (reviews only;
            without it the reviews still count for sentiment).
        progress: show tqdm progress bars (on a terminal).

    Returns:
        What was written.

    Raises:
        ValidationError: any row is invalid or references an unknown product; nothing is
            written and ``problems`` names each row and column.
        StoreError: the database failed; nothing is written.
    """
    started = time.perf_counter()
    if kind not in RECORD_MODELS:
        raise ValidationError(
            f"unknown import kind {kind!r}",
            problems=[f"kind: use one of {', '.join(IMPORT_KINDS)}"],
        )
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"no such file: {file}", problems=[f"{file}: not found"])
    records, problems = _validate_rows(kind, file, progress)
    records, dup_problems, repeats = _duplicates(kind, records)
    problems += dup_problems
    if kind in ("interactions", "reviews"):
        problems += _unknown_products(store, records)
    _raise_if(file, problems)

    writer = _WRITERS[kind]
    embeddings: dict[int, bytes] = {}
    if kind == "reviews" and encoder is not None:
        embeddings = _embed_reviews(store, records, encoder, progress)
    with store.session() as session:
        counts = writer(store, session, records, embeddings, encoder, progress)
    inserted, updated, unchanged, rebuilt = counts
    report = ImportReport(
        kind=kind,
        path=str(file),
        rows=len(records),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged + repeats,
        profiles_rebuilt=rebuilt,
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info("imported %s", report)
    return report


def _unknown_products(store: Store, records: Sequence[tuple[int, int, BaseModel]]) -> list[str]:
    from bot.store import Product

    skus = {sku for _, _, r in records if (sku := getattr(r, "sku", None))}
    known: set[str] = set()
    with store.session() as session:
        ordered = sorted(skus)
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            known.update(session.scalars(select(Product.sku).where(Product.sku.in_(chunk))))
    problems = []
    for row, line, record in records:
        sku = getattr(record, "sku", None)
        if sku and sku not in known:
            problems.append(f"{_where(row, line)}, column sku: unknown product {sku!r}")
    return problems


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(session: Session, column: Any, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(keys)):
        found.update(session.scalars(select(column).where(column.in_(list(chunk)))))
    return found


def _bar(total: int, desc: str, progress: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="row", disable=None if progress else True)


def _customer_ids(store: Store, session: Session, sender_ids: Iterable[str]) -> dict[str, int]:
    from bot.store import Customer, utcnow

    wanted = sorted(set(sender_ids))
    ids: dict[str, int] = {}
    now = utcnow()
    for chunk in _chunks(wanted):
        session.execute(
            store.insert_ignore(Customer, ["sender_id"]),
            [
                {
                    "sender_id": s,
                    "locale": "zh",
                    "marketing_consent": False,
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for s in chunk
            ],
        )
        ids.update(
            {
                s: int(i)
                for s, i in session.execute(
                    select(Customer.sender_id, Customer.id).where(
                        Customer.sender_id.in_(list(chunk))
                    )
                )
            }
        )
    return ids


def _product_ids(session: Session, skus: Iterable[str]) -> dict[str, int]:
    from bot.store import Product

    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(set(skus))):
        ids.update(
            {
                s: int(i)
                for s, i in session.execute(
                    select(Product.sku, Product.id).where(Product.sku.in_(list(chunk)))
                )
            }
        )
    return ids


_Counts = tuple[int, int, int, int]


def _upsert_rows(
    store: Store,
    session: Session,
    model: Any,
    key: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    label: str,
    progress: bool,
) -> _Counts:
    """Insert or update ``rows`` of ``model`` on its natural ``key``, in chunks, with a bar."""
    from bot.store import utcnow

    existing = _existing(session, getattr(model, key), [row[key] for row in rows])
    now = utcnow()
    stmt = store.upsert(model, [key], columns)
    with _bar(len(rows), label, progress) as bar:
        for chunk in _chunks(rows):
            session.execute(stmt, [dict(row, created_at=now, updated_at=now) for row in chunk])
            bar.update(len(chunk))
    return len(rows) - len(existing), len(existing), 0, 0


def _write_catalog(
    store: Store,
    session: Session,
    records: Sequence[tuple[int, int, BaseModel]],
    embeddings: dict[int, bytes],
    encoder: Encoder | None,
    progress: bool,
) -> _Counts:
    from bot.store import Product

    rows = [cast(ProductRecord, r).to_row() for _, _, r in records]
    columns = [c for c in rows[0] if c != "sku"] + ["updated_at"] if rows else []
    return _upsert_rows(store, session, Product, "sku", columns, rows, "write catalog", progress)


def _write_customers(
    store: Store,
    session: Session,
    records: Sequence[tuple[int, int, BaseModel]],
    embeddings: dict[int, bytes],
    encoder: Encoder | None,
    progress: bool,
) -> _Counts:
    from bot.store import Customer

    rows = [cast(CustomerRecord, r).to_row() for _, _, r in records]
    columns = ["locale", "marketing_consent", "consent_updated_at", "attributes", "updated_at"]
    return _upsert_rows(store, session, Customer, "sender_id", columns, rows, "write customers", progress)


def _write_interactions(
    store: Store,
    session: Session,
    records: Sequence[tuple[int, int, BaseModel]],
    embeddings: dict[int, bytes],
    encoder: Encoder | None,
    progress: bool,
) -> _Counts:
    from bot.profiles import rebuild_profiles
    from bot.store import Interaction

    items = [cast(InteractionRecord, r) for _, _, r in records]
    customers = _customer_ids(store, session, (r.sender_id for r in items))
    products = _product_ids(session, (r.sku for r in items))
    keys = [r.key() for r in items]
    existing = _existing(session, Interaction.source_event_id, keys)
    stmt = store.insert_ignore(Interaction, ["source_event_id"])
    rows: list[dict[str, Any]] = [
        {
            "customer_id": customers[r.sender_id],
            "product_id": products[r.sku],
            "kind": r.kind,
            "value": r.value,
            "occurred_at": r.occurred_at,
            "source_event_id": key,
        }
        for r, key in zip(items, keys, strict=True)
        if key not in existing
    ]
    with _bar(len(rows), "write interactions", progress) as bar:
        for chunk in _chunks(rows, 5000):
            session.execute(stmt, list(chunk))
            bar.update(len(chunk))
    touched = sorted({int(row["customer_id"]) for row in rows})
    rebuilt = rebuild_profiles(store, touched, session=session) if touched else 0
    return len(rows), 0, len(items) - len(rows), rebuilt


def _embed_reviews(
    store: Store, records: Sequence[tuple[int, int, BaseModel]], encoder: Encoder, progress: bool
) -> dict[int, bytes]:
    """Embeddings of the (redacted) review texts that are new or changed, by record index."""
    from bot.profiles._aggregate import pack_vector
    from bot.store import Review

    items = [cast(ReviewRecord, r) for _, _, r in records]
    texts = [redact(r.text) for r in items]
    with store.session() as session:
        stored: dict[str, tuple[str, bool]] = {}
        for chunk in _chunks([r.key() for r in items]):
            for key, text, has_embedding in session.execute(
                select(Review.external_id, Review.text, Review.embedding.is_not(None)).where(
                    Review.external_id.in_(list(chunk))
                )
            ):
                stored[str(key)] = (text, bool(has_embedding))
    todo = [i for i, r in enumerate(items) if stored.get(r.key()) != (texts[i], True)]
    out: dict[int, bytes] = {}
    import numpy as np

    with _bar(len(todo), "embed reviews", progress) as bar:
        for chunk in _chunks(todo, 64):
            vectors = encoder.encode([texts[i] for i in chunk])
            for i, vector in zip(chunk, vectors, strict=True):
                out[i] = pack_vector(vector, np.float32)
            bar.update(len(chunk))
    return out


def _write_reviews(
    store: Store,
    session: Session,
    records: Sequence[tuple[int, int, BaseModel]],
    embeddings: dict[int, bytes],
    encoder: Encoder | None,
    progress: bool,
) -> _Counts:
    from bot.profiles import rating_score, rebuild_profiles, sentiment_label, sentiment_score
    from bot.profiles._aggregate import aspect_scores
    from bot.store import Review

    items = [cast(ReviewRecord, r) for _, _, r in records]
    customers = _customer_ids(store, session, (r.sender_id for r in items))
    products = _product_ids(session, (r.sku for r in items if r.sku))
    existing_rows = {
        str(key): emb
        for chunk in _chunks([r.key() for r in items])
        for key, emb in session.execute(
            select(Review.external_id, Review.embedding).where(Review.external_id.in_(list(chunk)))
        )
    }
    rows: list[dict[str, Any]] = []
    for index, r in enumerate(items):
        score = sentiment_score(r.sentiment) if r.sentiment is not None else None
        if score is None and r.rating is not None:
            score = rating_score(r.rating)
        key = r.key()
        rows.append(
            {
                "external_id": key,
                "customer_id": customers[r.sender_id],
                "product_id": products.get(r.sku) if r.sku else None,
                "text": redact(r.text),
                "language": r.language,
                "rating": r.rating,
                "sentiment_label": sentiment_label(score) if score is not None else None,
                "sentiment_score": score,
                "aspects": aspect_scores(r.aspects, score),
                "embedding": embeddings.get(index, existing_rows.get(key)),
                "created_at": r.created_at,
            }
        )
    stmt = store.upsert(
        Review,
        ["external_id"],
        [
            "customer_id",
            "product_id",
            "text",
            "language",
            "rating",
            "sentiment_label",
            "sentiment_score",
            "aspects",
            "embedding",
            "created_at",
        ],
    )
    with _bar(len(rows), "write reviews", progress) as bar:
        for chunk in _chunks(rows):
            session.execute(stmt, list(chunk))
            bar.update(len(chunk))
    touched = sorted({int(row["customer_id"]) for row in rows})
    encoder_name = encoder.name if encoder is not None else None
    rebuilt = (
        rebuild_profiles(store, touched, session=session, encoder_name=encoder_name)
        if touched
        else 0
    )
    existing = set(existing_rows)
    return len(rows) - len(existing), len(existing), 0, rebuilt


_WRITERS = {
    "catalog": _write_catalog,
    "customers": _write_customers,
    "interactions": _write_interactions,
    "reviews": _write_reviews,
}
