"""GraphQL over HTTP: the one endpoint, its transport rules and error masking.

Follows the GraphQL-over-HTTP specification: GET runs queries only, POST takes JSON,
and a client that accepts ``application/graphql-response+json`` gets status codes
that tell request errors (4xx, no ``data``) from execution results (200).
"""

import asyncio
import json
import logging
import re
import uuid
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
from schema.refusals import Refusal

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
_GRAPHIQL_HTML = (files("strawberry") / "static" / "graphiql.html").read_text()


class RequestError(Exception):
    """The HTTP request itself is unusable; nothing was executed."""

    def __init__(
        self,
        status: int,
        message: str,
        code: Refusal = Refusal.BAD_REQUEST,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": str(self), "extensions": {"code": self.code}}]}


def _response_type(request: Request) -> str | None:
    """The media type to answer with, or None if the client accepts neither."""
    accept = request.headers.get("accept", "")
    if not accept:
        return JSON
    for media in _by_preference(accept):
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


def _by_preference(accept: str) -> list[str]:
    """The media types of an Accept header, most wanted first; q=0 means never."""
    ranked: list[tuple[float, str]] = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((quality, media.lower()))
    # sorted() is stable: equal preferences keep the client's order.
    return [media for _quality, media in sorted(ranked, key=lambda pair: -pair[0])]


class GraphQLEndpoint:
    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services
        self.limits = services.settings.limits

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
                raise RequestError(
                    406,
                    f"Accept {JSON} or {GRAPHQL_RESPONSE}.",
                    Refusal.NOT_ACCEPTABLE,
                )
            params = await self._params(request)
            if isinstance(params, list):
                return await self._execute_batch(request, params, media_type)
            status, body = await self._execute(request, params, media_type)
            return _json(body, status, media_type)
        except RequestError as error:
            return _json(error.body(), error.status, media_type, error.headers)
        except Exception:
            # A bug outside any resolver: the same masking as inside one.
            request_id = uuid.uuid4().hex
            logger.exception("unexpected_error request_id=%s path=-", request_id)
            body = {"errors": [_unexpected(request_id)]}
            return _json(body, 500, media_type)

    def _wants_graphiql(self, request: Request) -> bool:
        return (
            self.services.settings.graphiql
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _params(self, request: Request) -> dict[str, Any] | list[Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for key in ("variables", "extensions"):
                if key in params:
                    params[key] = _decode_json(params[key], key)
            return params
        if request.method != "POST":
            raise RequestError(
                405,
                "Use GET or POST.",
                Refusal.METHOD_NOT_ALLOWED,
                {"Allow": "GET, POST"},
            )

        content_type = (
            request.headers.get("content-type", "").split(";")[0].strip().lower()
        )
        # Only JSON: a cross-site HTML form can send text/plain, urlencoded or
        # multipart bodies without a CORS preflight, never application/json.
        if content_type not in (JSON, GRAPHQL_RESPONSE):
            raise RequestError(
                415,
                f"POST a {JSON} body.",
                Refusal.UNSUPPORTED_MEDIA_TYPE,
            )
        decoded = json_body(await self._body_bytes(request))
        if isinstance(decoded, list):
            if not self.limits.batching:
                raise RequestError(
                    400,
                    "Batched operations are not enabled; send one operation.",
                    Refusal.BATCHING_DISABLED,
                )
            if not decoded or len(decoded) > self.limits.max_batch:
                raise RequestError(
                    400,
                    f"A batch holds 1 to {self.limits.max_batch} operations.",
                    Refusal.BATCH_TOO_LARGE,
                )
            return decoded
        if not isinstance(decoded, dict):
            raise RequestError(400, "The body must be a JSON object.")
        return decoded

    async def _body_bytes(self, request: Request) -> bytes:
        limit = self.limits.max_body_bytes
        too_large = RequestError(
            413, f"The body is larger than {limit} bytes.", Refusal.BODY_TOO_LARGE
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        # The declared length may lie or be missing (chunked): count as it arrives.
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise too_large
        return bytes(body)

    async def _execute_batch(
        self, request: Request, batch: list[Any], media_type: str
    ) -> Response:
        answers: list[dict[str, Any]] = []
        for params in batch:
            if not isinstance(params, dict):
                raise RequestError(400, "Each operation must be a JSON object.")
            _status, body = await self._execute(request, params, media_type)
            answers.append(body)
        content = json.dumps(answers, separators=(",", ":"), ensure_ascii=False)
        return Response(content.encode(), media_type=f"{media_type}; charset=utf-8")

    async def _execute(
        self, request: Request, params: dict[str, Any], media_type: str
    ) -> tuple[int, dict[str, Any]]:
        """Run one operation; its status code and response body."""
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
            async with asyncio.timeout(self.limits.operation_timeout):
                result = await self.schema.execute(
                    query,
                    variable_values=variables,
                    context_value=context,
                    operation_name=operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=extensions,
                )
        except InvalidOperationTypeError:
            raise RequestError(
                405,
                "GET runs queries only; send mutations with POST.",
                Refusal.METHOD_NOT_ALLOWED,
                {"Allow": "POST"},
            ) from None
        except (MissingQueryError, CannotGetOperationTypeError) as error:
            raise RequestError(400, str(error)) from None
        except TimeoutError:
            return 200, self._timed_out(context)
        finally:
            await context.close()

        body = self._body(result, context)
        if _is_request_error(result):
            # Nothing ran: the response has no `data`, and a client that
            # understands graphql-response+json learns so from the status.
            body.pop("data", None)
            for entry in body.get("errors", []):
                # Variables that do not fit their types, caught by graphql-core.
                entry.setdefault("extensions", {}).setdefault(
                    "code", Refusal.BAD_USER_INPUT.value
                )
            if media_type == GRAPHQL_RESPONSE:
                return 400, body
        return 200, body

    def _timed_out(self, context: Context) -> dict[str, Any]:
        logger.warning(
            "operation_timeout request_id=%s seconds=%s",
            context.request_id,
            self.limits.operation_timeout,
        )
        message = (
            f"The operation ran longer than {self.limits.operation_timeout:g} "
            "seconds and was stopped."
        )
        error = {
            "message": message,
            "extensions": {
                "code": Refusal.OPERATION_TIMEOUT.value,
                "requestId": context.request_id,
            },
        }
        return {"data": None, "errors": [error]}

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
            formatted = dict(error.formatted)
            if self.services.settings.production:
                # Hints name fields and types that a caller may not introspect.
                formatted["message"] = _SUGGESTION.sub("", error.message)
            return formatted
        # Anything else is a bug or an outage: the client learns only that it
        # happened and which request id to quote; the log has the rest.
        logger.error(
            "unexpected_error request_id=%s path=%s",
            context.request_id,
            ".".join(str(part) for part in error.path or []),
            exc_info=original,
        )
        masked = _unexpected(context.request_id)
        if error.path is not None:
            masked["path"] = error.path
        return masked


def _unexpected(request_id: str) -> dict[str, Any]:
    return {
        "message": "Unexpected error.",
        "extensions": {
            "code": Refusal.INTERNAL_SERVER_ERROR.value,
            "requestId": request_id,
        },
    }


def _is_request_error(result: ExecutionResult) -> bool:
    """True when the operation never started: a bad document or bad variables.

    Variables are coerced by graphql-core's ``execute``, so their errors arrive as
    an ordinary result; unlike field errors, they have no path.
    """
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "The body is not valid JSON.") from None


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
