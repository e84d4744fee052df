"""Stable codes for requests refused before any resolver runs.

They travel in each error's ``extensions.code``; clients switch on them, so a code
once published is never renamed. Broken business rules are not here: those are
``userErrors`` with an ``ErrorCode``.
"""

from enum import StrEnum


class Refusal(StrEnum):
    # The HTTP request itself: method, media type, body.
    BAD_REQUEST = "BAD_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BATCHING_DISABLED = "BATCHING_DISABLED"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    # The document: syntax, validity and size.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"
    TOO_MANY_EMAILS = "TOO_MANY_EMAILS"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    # Running it.
    OPERATION_TIMEOUT = "OPERATION_TIMEOUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
