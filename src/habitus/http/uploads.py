"""Reading one uploaded file from a multipart body within a size limit (issue 11 item 5:
no body larger than its limit is held in memory), for every upload route: the import
(`imports`) and the photo of a scale report (`health`).

The route's limit is also registered with `http.middleware.BodyLimitMiddleware` (see
`body_limit`), which refuses a declared or counted body past it before the route runs;
`read_body` counts again for routes reached without the middleware (tests, mounts).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from habitus.errors import PayloadTooLarge, ValidationFailed

# The multipart envelope around the file (boundaries, headers, a few small fields).
ENVELOPE_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limit:
    """A file's limit in bytes and the words of the 413 past it."""

    max_bytes: int
    message: str

    def refusal(self) -> PayloadTooLarge:
        return PayloadTooLarge(self.max_bytes, self.message)

    def body_limit(self) -> tuple[int, str]:
        """For BodyLimitMiddleware: the file's limit plus the envelope, and the words."""
        return self.max_bytes + ENVELOPE_BYTES, self.message


async def read_body(request: Request, limit: Limit, *, field: str = "file") -> None:
    """Read the request body, counting bytes as they arrive: more than the limit (plus
    the envelope) is a 413 before anything is parsed or stored."""
    if hasattr(request, "_body"):
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ValidationFailed.field(
            field, f"send the file as multipart/form-data (field `{field}`)", "multipart"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit.max_bytes + ENVELOPE_BYTES:
        raise limit.refusal()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit.max_bytes + ENVELOPE_BYTES:
            raise limit.refusal()
    request._body = bytes(body)  # request.body() and request.form() read it from here


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    # The form's other text fields (at most `max_fields`), e.g. the import's format.
    fields: dict[str, str]


async def read_file(
    request: Request, limit: Limit, *, field: str = "file", max_fields: int = 4
) -> Upload:
    """The uploaded file of part `field` (422 naming it when missing, empty or
    unreadable; 413 past the limit) and the form's text fields."""
    await read_body(request, limit, field=field)
    try:
        form = await request.form(max_files=1, max_fields=max_fields)
    except (MultiPartException, HTTPException) as error:
        detail = getattr(error, "detail", None) or getattr(error, "message", str(error))
        raise ValidationFailed.field(field, f"the upload cannot be read: {detail}") from error
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.field(field, "is required (a file part)", "required")
        data = bytearray()
        while chunk := await upload.read(READ_CHUNK):
            data.extend(chunk)
            if len(data) > limit.max_bytes:
                raise limit.refusal()
        if not data:
            raise ValidationFailed.field(field, "is empty", "not_empty")
        texts = {name: value for name, value in form.multi_items() if isinstance(value, str)}
        return Upload(data=bytes(data), fields=texts)
    finally:
        await form.close()
