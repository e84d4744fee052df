"""Bulk writes through SQLAlchemy Core, and rows rebuilt from what was written.

A batch of 1,000 invitations inserted through the ORM (``insert(Model)`` on a
session, with ``RETURNING`` the whole row) pays for the ORM's bulk persistence on
every row going in and for loading a full instance for every row coming back. The
service already holds every value it writes; it only needs the keys the database
assigns. So batches go through the table itself, return just the columns asked
for, and :func:`rebuilt` makes the instances from the written values.
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Mapper
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of ``model``: statements on it skip the ORM's bulk path."""
    mapper = cast(Mapper[Any], inspect(model))
    return cast(Table, mapper.local_table)


def rebuilt(model: type[M], rows: Iterable[Mapping[str, Any]]) -> list[M]:
    """Instances of ``model`` holding ``rows``' values, the way the ORM loads rows.

    The ORM's loader makes an instance without running ``__init__`` (which on a
    SQLModel table validates and records each attribute as a change, about 60 µs
    a row) and fills its ``__dict__`` from the row; this does the same from values
    that were just written. Columns missing from a row are None, as the database
    stored them. The instances belong to no session.
    """
    mapper = cast(Mapper[Any], inspect(model))
    make = mapper.class_manager.new_instance
    empty = dict.fromkeys(attribute.key for attribute in mapper.column_attrs)
    instances: list[M] = []
    for values in rows:
        instance = make()
        instance.__dict__.update(empty, **values)
        instances.append(cast(M, instance))
    return instances
