"""The request boundary for every route: one transaction, committed after the handler.

A handler that answers a success commits what it wrote. One that raises, or answers
an error (a form re-rendered with its errors), rolls everything back, so bad input
never leaves a half-written change; `db.keep_writes_on_error` is the explicit way out
(a 401 that revoked a stolen token family must keep the revocation). An idempotent
POST stores its answer in the same transaction as its writes (`http.idempotency`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from habitus import db
from habitus.http import idempotency

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        deferred = db.defers_writer_turn(self.endpoint)

        async def run(request: Request) -> Response:
            if request.method in SAFE_METHODS:
                return await run_in_transaction(request)
            if deferred:
                async with db.deferred_writer_turn(request):
                    return await run_in_transaction(request)
            async with db.writer_turn(request):
                return await run_in_transaction(request)

        async def run_in_transaction(request: Request) -> Response:
            try:
                try:
                    response = await handler(request)
                except idempotency.Replay as replay:
                    return replay.response
                failed = response.status_code >= 500 or (
                    response.status_code >= 400 and not db.keeps_writes_on_error(request)
                )
                if failed:
                    await db.rollback_request(request)
                    idempotency.forget(request)
                    return await idempotency.answer_after_failure(request) or response
                try:
                    await idempotency.complete(request, response)
                except idempotency.Replay as replay:
                    # The key was committed by another request meanwhile: its answer,
                    # and nothing of this one's writes.
                    await db.rollback_request(request)
                    return replay.response
                await db.commit_request(request)
            except Exception:
                await db.rollback_request(request)
                idempotency.forget(request)
                if (replayed := await idempotency.answer_after_failure(request)) is not None:
                    return replayed
                raise
            except BaseException:
                await db.rollback_request(request)
                idempotency.forget(request)
                raise
            finally:
                await db.close_request(request)
            return response

        return run
