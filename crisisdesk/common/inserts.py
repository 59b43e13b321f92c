"""INSERT a new model instance with a statement built once per model.

`Model.save()` compiles an INSERT for every row it writes. On the public registration,
the request a surge multiplies by the thousand, compiling its two INSERTs cost a fifth of
the request (docs/benchmarks.md). `insert_prepare` does for a new row what `save()` does
(each field's `pre_save` and `get_db_prep_save`, so defaults, encryption and JSON come out
the same) and reuses the statement's text; `insert_run` executes it. Preparing first lets
a caller do all of that work before it opens a transaction, so that on SQLite the write
lock is held for the statements alone.

For plain models only: no signals are sent, and models with parents (multi-table
inheritance) or database defaults are refused.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

from django.db import connection, models, transaction
from django.db.models.fields import NOT_PROVIDED


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
