"""The ingest API: errors and run outcomes in, broker messages out (202 once acknowledged)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from errorhub.settings import Settings, get_settings
from ingest.auth import AuthError, RateLimiter, authenticate, key_from_request
from ingest.body import BodyLimits
from ingest.config import IngestConfig, Project, ingest_config
from ingest.publisher import Publisher, producer_settings
from ingest.sentry import EnvelopeError, event_payloads, to_error_event
from ingest.spool import Spool
from ingest.wire import event_message, execution_message
from schemas import ErrorEvent, ExecutionRecord

SENTRY_SOURCE = "sentry"
API_SOURCE = "api"


class ApiError(Exception):
    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    config = ingest_config(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        spool = Spool(config.spool_dir)
        app.state.publisher = Publisher(producer_settings(settings, config.delivery_timeout_s), spool)
        try:
            yield
        finally:
            app.state.publisher.close()

    app = FastAPI(title="errorhub ingest", version="1", lifespan=lifespan)
    app.state.config = config
    app.state.limiter = RateLimiter(config.rate_per_second, config.burst)
    app.add_exception_handler(ApiError, _api_error)
    _add_routes(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(
        BodyLimits, max_body_bytes=config.max_body_bytes, max_decompressed_bytes=config.max_decompressed_bytes
    )
    return app


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    body = {"detail": error.detail, **error.extra}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


# --- request helpers -------------------------------------------------------------------------
def _config(request: Request) -> IngestConfig:
    return request.app.state.config


def _project(request: Request, key: str | None = None, project_id: str | None = None) -> Project:
    key = key_from_request(request.headers, request.query_params) or key
    try:
        return authenticate(_config(request).keys, key, project_id)
    except AuthError as error:
        raise ApiError(error.status, str(error), {"WWW-Authenticate": "Bearer"}) from None


def _rate_limit(request: Request, project: Project, cost: int) -> None:
    key = key_from_request(request.headers, request.query_params) or str(project.id)
    wait = request.app.state.limiter.retry_after(key, cost)
    if wait:
        raise ApiError(429, f"rate limit exceeded; retry in {wait}s", {"Retry-After": str(wait)})


_ADAPTERS: dict[type, TypeAdapter] = {}


def parse_records(body: bytes, model: type[BaseModel], max_batch: int) -> tuple[list, bool]:
    """(records, was_batch). 400 for bad JSON, 422 naming the field for invalid records."""
    head = body.lstrip()[:1]
    if head not in (b"{", b"["):
        raise ApiError(400, "body must be a JSON object or an array of objects")
    is_batch = head == b"["
    adapter = _ADAPTERS.setdefault(model, TypeAdapter(list[model]))
    try:
        records = adapter.validate_json(body) if is_batch else [model.model_validate_json(body)]
    except ValidationError as error:
        raise _validation_error(error) from None
    if not records:
        raise ApiError(400, "empty batch")
    if len(records) > max_batch:
        raise ApiError(413, f"batch of {len(records)} records exceeds {max_batch}")
    return records, is_batch


def _validation_error(error: ValidationError) -> ApiError:
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    if any(p["type"] == "json_invalid" for p in problems):
        return ApiError(400, f"invalid JSON: {problems[0]['msg']}")
    detail = [{"loc": ["body", *p["loc"]], "msg": p["msg"], "type": p["type"]} for p in problems]
    summary = "; ".join(f"{'.'.join(str(x) for x in p['loc'])}: {p['msg']}" for p in problems[:5])
    return ApiError(422, detail, error=summary)


async def _ingest(request: Request, model: type[BaseModel], to_message, id_of) -> JSONResponse:
    """Validate one record or a batch of `model`, rate-limit, publish; 202 once stored."""
    project = _project(request, project_id=request.headers.get("x-errorhub-project"))
    config = _config(request)
    records, is_batch = parse_records(await request.body(), model, config.max_batch)
    _rate_limit(request, project, len(records))
    messages = [to_message(r, config.topic, project.name, API_SOURCE) for r in records]
    return await _accept(request, messages, {} if is_batch else {"id": str(id_of(records[0]))})


async def _accept(request: Request, messages: list, ids: dict) -> JSONResponse:
    stored = await request.app.state.publisher.publish(messages)
    return JSONResponse({"accepted": len(messages), "stored": stored, **ids}, status_code=202)


# --- routes ----------------------------------------------------------------------------------
def _add_routes(app: FastAPI) -> None:
    @app.get("/health")
    async def health(request: Request) -> dict:
        """Liveness plus the broker's state and how many messages wait in the disk spool."""
        publisher: Publisher = request.app.state.publisher
        broker = {True: "up", False: "down", None: "unknown"}[publisher.broker_up]
        return {"status": "ok", "broker": broker, "spool_depth": publisher.spool_depth}

    @app.post("/v1/events", status_code=202, openapi_extra=_body_doc("ErrorEvent"))
    async def post_events(request: Request) -> JSONResponse:
        """One `ErrorEvent` or an array of them. 202 once the broker (or the spool) has them."""
        return await _ingest(request, ErrorEvent, event_message, lambda e: e.event_id)

    @app.post("/v1/executions", status_code=202, openapi_extra=_body_doc("ExecutionRecord"))
    async def post_executions(request: Request) -> JSONResponse:
        """One `ExecutionRecord` (every run, successes included) or an array of them."""
        return await _ingest(request, ExecutionRecord, execution_message, lambda r: r.record_id)

    @app.post("/api/{project_id}/envelope/")
    async def sentry_envelope(project_id: str, request: Request) -> JSONResponse:
        """Sentry envelope endpoint: `event` items become ErrorEvents; other items are ignored."""
        body = await request.body()
        try:
            header, payloads = event_payloads(body)
        except EnvelopeError as error:
            raise ApiError(400, str(error)) from None
        project = _project(request, _dsn_key(header.get("dsn")), project_id)
        return await _accept_sentry(request, project, payloads, header.get("event_id"))

    @app.post("/api/{project_id}/store/")
    async def sentry_store(project_id: str, request: Request) -> JSONResponse:
        """Legacy Sentry store endpoint: the body is one event."""
        project = _project(request, project_id=project_id)
        try:
            payload = TypeAdapter(dict).validate_json(await request.body())
        except ValidationError:
            raise ApiError(400, "body must be a JSON event object") from None
        return await _accept_sentry(request, project, [payload], payload.get("event_id"))


async def _accept_sentry(request: Request, project: Project, payloads: list[dict], event_id) -> JSONResponse:
    if not payloads:  # sessions, client reports...: accepted, nothing to store
        return JSONResponse({"id": event_id} if event_id else {}, status_code=200)
    _rate_limit(request, project, len(payloads))
    events = [to_error_event(p, project.name) for p in payloads]
    topic = _config(request).topic
    messages = [event_message(e, topic, project.name, SENTRY_SOURCE) for e in events]
    await request.app.state.publisher.publish(messages)
    # Sentry clients expect 200 and the event id in hex.
    return JSONResponse({"id": events[0].event_id.hex}, status_code=200)


def _dsn_key(dsn: Any) -> str | None:
    """The public key inside a DSN `scheme://KEY@host/project` (envelopes sent through a tunnel)."""
    if not isinstance(dsn, str) or "@" not in dsn:
        return None
    return dsn.split("://", 1)[-1].split("@", 1)[0].split(":", 1)[0] or None


# --- OpenAPI ---------------------------------------------------------------------------------
def _body_doc(model_name: str) -> dict:
    ref = {"$ref": f"#/components/schemas/{model_name}"}
    schema = {"oneOf": [ref, {"type": "array", "items": ref}]}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {
            "202": {"description": "Accepted: acknowledged by the broker or spooled to disk."},
            "401": {"description": "Missing or unknown project key."},
            "403": {"description": "Key not valid for the named project."},
            "413": {"description": "Body or batch too large."},
            "422": {"description": "Validation error; `detail[].loc` names the field."},
            "429": {"description": "Rate limited; see Retry-After."},
        },
    }


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorEvent, ExecutionRecord):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    app.openapi_schema = schema
    return schema
