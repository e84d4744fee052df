"""How constraints and indexes are named, on every table.

Set on the shared metadata before any table is declared, so that the migrations
name every constraint the same way on SQLite and PostgreSQL and can refer to it
later (SQLite cannot alter an unnamed constraint).
"""

from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
