"""GraphQL object types. They hold no SQL: rows come in, fields go out."""
