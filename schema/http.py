"""GraphQL over HTTP: the one endpoint, its transport rules and error masking.

Follows the GraphQL-over-HTTP specification: GET runs queries only, POST takes JSON,
and a client that accepts ``application/graphql-response+json`` gets status codes
that tell request errors (4xx, no ``data``) from execution results (200).
"""

import json
import logging
from importlib.resources import files
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from resolvers.auth import InvalidToken, read_token
from resolvers.context import Context, Services

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1024 * 1024
_GRAPHIQL_HTML = (files("strawberry") / "static" / "graphiql.html").read_text()


class RequestError(Exception):
    """The HTTP request itself is unusable; nothing was executed."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _response_type(request: Request) -> str | None:
    """The media type to answer with, or None if the client accepts neither."""
    accept = request.headers.get("accept", "")
    if not accept:
        return JSON
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


class GraphQLEndpoint:
    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and self._wants_graphiql(request):
            return HTMLResponse(
                _GRAPHIQL_HTML.replace("{{ SUBSCRIPTION_ENABLED }}", "false").replace(
                    "{{ REPLACE_ME }}", ""
                )
            )
        media_type = _response_type(request) or JSON
        try:
            if _response_type(request) is None:
                raise RequestError(406, f"Accept {JSON} or {GRAPHQL_RESPONSE}.")
            params = await self._params(request)
            return await self._execute(request, params, media_type)
        except RequestError as error:
            body = {
                "errors": [
                    {"message": str(error), "extensions": {"code": "BAD_REQUEST"}}
                ]
            }
            return _json(body, error.status, media_type, error.headers)

    def _wants_graphiql(self, request: Request) -> bool:
        return (
            self.services.settings.graphiql
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for key in ("variables", "extensions"):
                if key in params:
                    params[key] = _decode_json(params[key], key)
            return params
        if request.method != "POST":
            raise RequestError(405, "Use GET or POST.", {"Allow": "GET, POST"})

        content_type = (
            request.headers.get("content-type", "").split(";")[0].strip().lower()
        )
        if content_type not in (JSON, GRAPHQL_RESPONSE):
            raise RequestError(415, f"POST a {JSON} body.")
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > MAX_BODY_BYTES
        ):
            raise RequestError(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise RequestError(
                    413, f"The body is larger than {MAX_BODY_BYTES} bytes."
                )
        try:
            decoded = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "The body is not valid JSON.") from None
        if isinstance(decoded, list):
            raise RequestError(400, "Batched operations are not enabled.")
        if not isinstance(decoded, dict):
            raise RequestError(400, "The body must be a JSON object.")
        return decoded

    async def _execute(
        self, request: Request, params: dict[str, Any], media_type: str
    ) -> Response:
        query = params.get("query")
        variables = params.get("variables")
        operation_name = params.get("operationName")
        if not isinstance(query, str) or not query:
            raise RequestError(400, "`query` must be a non-empty string.")
        if variables is not None and not isinstance(variables, dict):
            raise RequestError(400, "`variables` must be an object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError(400, "`operationName` must be a string.")
        extensions = params.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise RequestError(400, "`extensions` must be an object.")

        context = self._context(request)
        allowed = (
            {OperationType.QUERY}
            if request.method == "GET"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError:
            raise RequestError(
                405,
                "GET runs queries only; send mutations with POST.",
                {"Allow": "POST"},
            ) from None
        except (MissingQueryError, CannotGetOperationTypeError) as error:
            raise RequestError(400, str(error)) from None
        finally:
            await context.close()

        body = self._body(result, context)
        status = 200
        if isinstance(result, PreExecutionError) and media_type == GRAPHQL_RESPONSE:
            status = 400
        return _json(body, status, media_type)

    def _context(self, request: Request) -> Context:
        context = Context(services=self.services, request=request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                context.viewer = read_token(token.strip(), self.services.settings)
            except InvalidToken:
                context.auth_error = "The bearer token is invalid or has expired."
        return context

    def _body(self, result: ExecutionResult, context: Context) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if not isinstance(result, PreExecutionError):
            body["data"] = result.data
        if result.errors:
            body["errors"] = [self._error(error, context) for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        return body

    def _error(self, error: GraphQLError, context: Context) -> dict[str, Any]:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error.formatted  # type: ignore[return-value]
        # Anything else is a bug or an outage: the client learns only that it
        # happened and which request id to quote; the log has the rest.
        logger.error(
            "unexpected_error request_id=%s path=%s",
            context.request_id,
            ".".join(str(part) for part in error.path or []),
            exc_info=original,
        )
        masked = GraphQLError(
            "Unexpected error.",
            path=error.path,
            extensions={
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": context.request_id,
            },
        )
        return masked.formatted  # type: ignore[return-value]


def _decode_json(raw: str, name: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise RequestError(400, f"`{name}` is not valid JSON.") from None


def _json(
    body: dict[str, Any],
    status: int,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(
        content,
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )
