"""What the query asks for below the current field, to load it ahead in one go."""

from collections.abc import Iterable, Iterator

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def _named(selections: Iterable[Selection], name: str) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                yield selection
        else:
            # Fragment spreads and inline fragments: look through them.
            yield from _named(selection.selections, name)


def asks_for(info: strawberry.Info, path: str) -> bool:
    """Whether the selection below this field reaches ``path`` (e.g. "nodes.email").

    Names are GraphQL field names; aliases and fragments are seen through.
    """
    level: list[Selection] = []
    for field in info.selected_fields:
        level.extend(field.selections)
    for name in path.split("."):
        found = list(_named(level, name))
        if not found:
            return False
        level = [child for field in found for child in field.selections]
    return True
