"""INSERT a new model instance with a statement built once per model.

`Model.save()` compiles an INSERT for every row it writes. On the public registration,
the request a surge multiplies by the thousand, compiling its two INSERTs cost a fifth of
the request (docs/benchmarks.md). `insert_prepare` does for a new row what `save()` does
(each field's `pre_save` and `get_db_prep_save`, so defaults, encryption and JSON come out
the same) and reuses the statement's text; `insert_run` executes it. Preparing first lets
a caller do all of that work before it opens a transaction, so that on SQLite the write
lock is held for the statements alone.

`instances_insert` is the same for many new instances of one model at a time: what
`bulk_create` does, with multi-row INSERTs whose text is built once per size, and values
prepared as above. `bulk_create` compiled each of a large import's ten million values
through the ORM's generic machinery, which took most of the import's time.

For plain models only: no signals are sent, and models with parents (multi-table
inheritance) or database defaults are refused.
"""

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, itemgetter

from django.db import connection, connections, models, transaction
from django.db.models.fields import NOT_PROVIDED

from crisisdesk.common.encryption import EncryptedTextField


@dataclass(slots=True)
class PreparedInsert:
    instance: models.Model
    sql: str
    params: list
    returns_pk: bool
    fields: tuple[models.Field, ...]


@cache
def _statement(model: type[models.Model], vendor: str) -> tuple[str, tuple[models.Field, ...], bool]:
    opts = model._meta
    if opts.parents:
        raise TypeError(f"{opts.label} inherits from another model; use save()")
    fields = tuple(field for field in opts.concrete_fields if not isinstance(field, models.AutoField))
    if any(field.db_default is not NOT_PROVIDED for field in fields):
        raise TypeError(f"{opts.label} has database defaults; use save()")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model and are quoted; values are parameters.
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    returns_pk = connection.features.can_return_columns_from_insert
    if returns_pk:
        sql += f" RETURNING {quote(opts.db_table)}.{quote(opts.pk.column)}"
    return sql, fields, returns_pk


# Fields whose database value is the Python value itself when it has one of these types:
# `get_db_prep_save` would return it unchanged, after three calls. Exact classes only, since
# a subclass (an encrypted text field) may convert.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
)
_PLAIN_VALUES = (str, int, bool, type(None))


@cache
def _is_plain(field: models.Field) -> bool:
    if isinstance(field, models.ForeignKey):
        return _is_plain(field.target_field) or isinstance(field.target_field, models.AutoField)
    return type(field) in _PLAIN_FIELDS


def _db_value(field: models.Field, instance: models.Model):
    value = field.pre_save(instance, True)
    if type(value) in _PLAIN_VALUES and _is_plain(field):
        return value
    return field.get_db_prep_save(value, connection)


def insert_prepare(instance: models.Model) -> PreparedInsert:
    """Everything `save()` would compute for this new instance, ready to execute."""
    sql, fields, returns_pk = _statement(type(instance), connection.vendor)
    params = [_db_value(field, instance) for field in fields]
    return PreparedInsert(instance=instance, sql=sql, params=params, returns_pk=returns_pk, fields=fields)


def insert_run(prepared: PreparedInsert) -> models.Model:
    """Execute a prepared INSERT; the instance gets its primary key and counts as saved."""
    instance = prepared.instance
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, prepared.params)
        if prepared.returns_pk:
            pk = cursor.fetchone()[0]
        else:
            opts = instance._meta
            pk = connection.ops.last_insert_id(cursor, opts.db_table, opts.pk.column)
    return _saved(instance, pk)


def _saved(instance: models.Model, pk) -> models.Model:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def instance_insert(instance: models.Model) -> models.Model:
    return insert_run(insert_prepare(instance))


# Rows per multi-row INSERT, at most: beyond a few hundred, longer statements gain nothing.
ROWS_PER_STATEMENT = 500


def _rows_per_statement(columns: int) -> int:
    limit = connection.features.max_query_params
    if connection.vendor == "sqlite":
        import sqlite3

        # What this SQLite allows (32,766 since 3.32), not Django's conservative 999.
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    rows = ROWS_PER_STATEMENT if limit is None else limit // columns
    return max(1, min(ROWS_PER_STATEMENT, rows))


@cache
def _multi_row_statement(model: type[models.Model], vendor: str, rows: int) -> str:
    sql, fields, returns_pk = _statement(model, vendor)
    head = sql.rsplit(" VALUES ", 1)[0]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    statement = f"{head} VALUES {', '.join([row] * rows)}"
    if returns_pk:
        quote = connection.ops.quote_name
        statement += f" RETURNING {quote(model._meta.db_table)}.{quote(model._meta.pk.column)}"
    return statement


@dataclass(frozen=True, slots=True)
class _RowPlan:
    """How to read one model's new rows fast: every field's value in one C call (`attrgetter`),
    then the fields that convert theirs, as `_db_value` does."""

    values: Callable[[models.Model], tuple]
    plain: Callable[[list], tuple]  # the plain fields' values, from the row's
    plain_fields: tuple[tuple[int, models.Field], ...]  # (position, field): the value is the database's
    converted: tuple[tuple[int, models.Field, bool], ...]  # the others (encrypted, JSON, dates…), and
    # whether the value is the attribute's (no `pre_save` of its own, as `auto_now` has)
    relations: tuple[models.Field, ...]


def _getter(positions: list) -> Callable:
    if not positions:
        return lambda values: ()
    get = itemgetter(*positions)
    return get if len(positions) > 1 else lambda values: (get(values),)


@cache
def _row_plan(model: type[models.Model], vendor: str) -> _RowPlan:
    _sql, fields, _returns_pk = _statement(model, vendor)
    getter = attrgetter(*(field.attname for field in fields))
    plain = [(position, field) for position, field in enumerate(fields) if _is_plain(field)]
    return _RowPlan(
        values=getter if len(fields) > 1 else lambda instance: (getter(instance),),
        plain=_getter([position for position, _field in plain]),
        plain_fields=tuple(plain),
        converted=tuple(
            (position, field, type(field) in _DATE_FIELDS and not (field.auto_now or field.auto_now_add))
            for position, field in enumerate(fields)
            if not _is_plain(field)
        ),
        relations=tuple(field for field in fields if field.is_relation),
    )


_DATE_FIELDS = (models.DateTimeField, models.DateField)
_PLAIN_TYPES = frozenset(_PLAIN_VALUES)


def _relations_keyed(plan: _RowPlan, instance: models.Model) -> None:
    """What bulk_create does first (`Model._prepare_related_fields_for_save`), for the
    relations alone: one set to an object saved since takes its key; one whose object's key
    changed since forgets the object; one to an unsaved object is an error."""
    for field in plan.relations:
        if not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if related is None:
            continue
        if related.pk is None:
            raise ValueError(
                f"instances_insert() prohibited to prevent data loss due to unsaved related object '{field.name}'."
            )
        if getattr(instance, field.attname) in field.empty_values:
            setattr(instance, field.name, related)
        if getattr(related, field.target_field.attname) != getattr(instance, field.attname):
            field.delete_cached_value(instance)


def _row_params(plan: _RowPlan, instance: models.Model, db, dates: dict) -> list:
    params = list(plan.values(instance))
    if not set(map(type, plan.plain(params))) <= _PLAIN_TYPES:  # a str subclass, a lazy text…
        for position, field in plan.plain_fields:
            if type(params[position]) not in _PLAIN_VALUES:
                params[position] = field.get_db_prep_save(params[position], db)
    for position, field, is_date in plan.converted:
        if is_date:
            # One moment stamps a whole import: converted once, not once per row.
            key = (position, params[position])
            if key not in dates:
                dates[key] = field.get_db_prep_save(params[position], db)
            params[position] = dates[key]
        else:
            params[position] = field.get_db_prep_save(field.pre_save(instance, True), db)
    return params


def instances_insert(instances: list[models.Model]) -> list[models.Model]:
    """INSERT new instances of one model, as `bulk_create(instances)` would, in multi-row
    statements; each instance gets its primary key where the database returns it (SQLite
    3.35+, PostgreSQL), as with `bulk_create`. Runs in the caller's transaction if there is
    one."""
    if not instances:
        return instances
    model = type(instances[0])
    if any(type(instance) is not model for instance in instances):
        raise TypeError("instances_insert takes instances of one model")
    _sql, fields, returns_pk = _statement(model, connection.vendor)
    if not (returns_pk and connection.features.can_return_rows_from_bulk_insert):
        return model._default_manager.bulk_create(instances)
    db = connections[connection.alias]  # the connection itself, not its proxy, in the loop
    plan = _row_plan(model, connection.vendor)
    per_statement = _rows_per_statement(len(fields))
    dates: dict = {}
    with transaction.atomic(savepoint=False), db.cursor() as cursor:
        for start in range(0, len(instances), per_statement):
            chunk = instances[start : start + per_statement]
            params = []
            for instance in chunk:
                _relations_keyed(plan, instance)
                params += _row_params(plan, instance, db, dates)
            cursor.execute(_multi_row_statement(model, connection.vendor, len(chunk)), params)
            for instance, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                _saved(instance, pk)
    return instances


_PLAIN, _DATE, _ENCRYPTED, _OTHER = range(4)


@cache
def _rows_statement(model: type[models.Model], vendor: str) -> tuple[str, tuple[tuple[str, models.Field, int], ...]]:
    """The INSERT of one row, and each column's attribute name, field and way of converting."""
    sql, fields, _returns_pk = _statement(model, vendor)
    if any(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) for field in fields):
        raise TypeError(f"{model._meta.label} has auto_now fields; use instances_insert")
    columns = []
    for field in fields:
        if _is_plain(field):
            kind = _PLAIN
        elif type(field) in _DATE_FIELDS:
            kind = _DATE
        elif isinstance(field, EncryptedTextField):
            kind = _ENCRYPTED
        else:
            kind = _OTHER
        columns.append((field.attname, field, kind))
    return sql.rsplit(" RETURNING ", 1)[0], tuple(columns)


def rows_insert(model: type[models.Model], rows: Sequence[Mapping[str, object]]) -> None:
    """INSERT new rows of a plain model given as values by attribute name (a relation by its
    `…_id`), in one `executemany`, without making model instances: for the many small rows of a
    bulk write that nobody reads back in it (a person's names, contacts, timeline entry, audit
    row). Fields a row does not give take their default, computed once for all the rows (so one
    moment for a `timezone.now` default). Values are converted as `save()` converts them
    (encryption, JSON, dates); no primary keys come back."""
    if not rows:
        return
    sql, columns = _rows_statement(model, connection.vendor)
    db = connections[connection.alias]
    position_of = {name: (position, field, kind) for position, (name, field, kind) in enumerate(columns)}
    # Every column at its default, converted once; a row then sets the columns it gives.
    template = [
        None if kind == _ENCRYPTED else field.get_db_prep_save(field.get_default(), db)
        for _name, field, kind in columns
    ]
    encrypted = [(position, field) for position, (_name, field, kind) in enumerate(columns) if kind == _ENCRYPTED]
    dates: dict = {}  # (position, moment) → converted: one moment stamps a whole import
    params = []
    for row in rows:
        values = template.copy()
        for position, field in encrypted:  # each value its own random IV, or equal values would show
            if field.attname not in row:
                values[position] = field.get_db_prep_save(field.get_default(), db)
        for name, value in row.items():
            try:
                position, field, kind = position_of[name]
            except KeyError:
                raise TypeError(f"{name} is not a field of {model._meta.label}") from None
            if kind == _PLAIN and type(value) in _PLAIN_VALUES:
                values[position] = value
            elif kind == _DATE:
                key = (position, value)
                if key not in dates:
                    dates[key] = field.get_db_prep_save(value, db)
                values[position] = dates[key]
            else:
                values[position] = field.get_db_prep_save(value, db)
        params.append(values)
    with db.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_pair_run(
    first: PreparedInsert, second: PreparedInsert, *, link: str, probe: tuple[str, list] | None = None
) -> bool:
    """Insert `first`, then `second` with its field `link` set to `first`'s primary key
    (as text for a text field), both or neither. Runs in the caller's transaction if there
    is one.

    `probe` is a SELECT (and its parameters) run in the same transaction, for a caller
    that must look at something while its rows are not committed yet; the result says
    whether it found a row.
    """
    link_field = second.instance._meta.get_field(link)
    link_index = second.fields.index(link_field)
    as_text = link_field.get_internal_type() in {"CharField", "TextField"}
    if connection.vendor != "postgresql" or not first.returns_pk or not second.returns_pk:
        with transaction.atomic():
            insert_run(first)
            value = str(first.instance.pk) if as_text else first.instance.pk
            second.params[link_index] = link_field.get_db_prep_save(value, connection)
            setattr(second.instance, link_field.attname, value)
            insert_run(second)
            if probe is None:
                return False
            with connection.cursor() as cursor:
                cursor.execute(*probe)
                return cursor.fetchone() is not None
    sql, params = _pair_statement(
        first, second, link_index=link_index, link_type=link_field.db_type(connection), probe=probe
    )
    # A savepoint only inside a caller's transaction, so that a failed INSERT (a
    # duplicate key) leaves that transaction usable; alone, the statement is atomic.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        first_pk, second_pk, found = cursor.fetchone()
    _saved(first.instance, first_pk)
    setattr(second.instance, link_field.attname, str(first_pk) if as_text else first_pk)
    _saved(second.instance, second_pk)
    return bool(found)


def _pair_statement(
    first: PreparedInsert, second: PreparedInsert, *, link_index: int, link_type: str, probe: tuple[str, list] | None
):
    quote = connection.ops.quote_name
    first_opts, second_opts = first.instance._meta, second.instance._meta
    first_insert = first.sql.rsplit(" RETURNING ", 1)[0]
    columns = ", ".join(quote(field.column) for field in second.fields)
    values = ["%s"] * len(second.fields)
    # Names and types come from the models and are quoted; values are parameters.
    values[link_index] = f"CAST((SELECT {quote(first_opts.pk.column)} FROM first_row) AS {link_type})"  # noqa: S608
    probe_sql, probe_params = probe if probe is not None else ("SELECT 1 WHERE FALSE", [])
    sql = (
        f"WITH probe AS ({probe_sql}), "  # noqa: S608 - the caller's SQL; names quoted, values are parameters
        f"first_row AS ({first_insert} RETURNING {quote(first_opts.pk.column)}), "
        f"second_row AS (INSERT INTO {quote(second_opts.db_table)} ({columns}) VALUES ({', '.join(values)}) "
        f"RETURNING {quote(second_opts.pk.column)}) "
        "SELECT (SELECT * FROM first_row), (SELECT * FROM second_row), EXISTS (SELECT 1 FROM probe)"
    )
    params = [*probe_params, *first.params, *second.params[:link_index], *second.params[link_index + 1 :]]
    return sql, params
