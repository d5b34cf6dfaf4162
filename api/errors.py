"""Domain errors the services raise, and the one place that turns them into HTTP answers.

Routes only route: they call a service and let these propagate; ``install_error_handlers`` maps each
to its status code, so a peer being down is a 503 on every route, never a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from streams.engine.instants import iso_text
from streams.engine.units import EARLIEST, LATEST


class DomainError(Exception):
    """A request the service could not answer, for a reason the caller can act on."""


class UnknownStore(DomainError):
    def __init__(self) -> None:
        super().__init__("unknown store")


class NoProfile(DomainError):
    def __init__(self) -> None:
        super().__init__("the store has no profile set; the default applies")


class UnknownReport(DomainError):
    def __init__(self) -> None:
        super().__init__("no report with that id")


class OutsideHorizon(DomainError):
    """An instant outside what the retained pings can describe."""

    @classmethod
    def check_range(cls, instant: int) -> None:
        """Refuse an ``as_of`` outside the instants the engine counts."""
        if not EARLIEST <= instant < LATEST:
            raise cls(f"as_of must lie between {iso_text(EARLIEST)} and {iso_text(LATEST)}")


class PartitionsMoving(DomainError):
    def __init__(self) -> None:
        super().__init__("partitions are being reassigned; retry shortly")


class PeerUnreachable(DomainError):
    def __init__(self, url: str, reason: object) -> None:
        super().__init__(f"worker {url} unreachable: {reason}")


class ReportLogUnavailable(DomainError):
    def __init__(self, reason: object) -> None:
        super().__init__(f"the shared report log cannot be written: {reason}")


class RejectedInput(DomainError):
    """Input with entries that cannot be used; nothing of the request was published."""

    def __init__(self, rejected: list[dict[str, object]]) -> None:
        super().__init__(f"{len(rejected)} entries refused; nothing was published")
        self.rejected = rejected


class BadCursor(DomainError):
    def __init__(self) -> None:
        super().__init__("cursor unreadable, or made for other filters; start again without it")


class BadEventId(DomainError):
    pass


class TooLarge(DomainError):
    pass


class UnsupportedMediaType(DomainError):
    pass


class BrokerUnavailable(DomainError):
    def __init__(self, reason: object) -> None:
        super().__init__(
            f"the broker did not acknowledge: {reason}; retrying is safe (duplicates are harmless)"
        )


STATUS_OF: dict[type[DomainError], int] = {
    UnknownStore: status.HTTP_404_NOT_FOUND,
    UnknownReport: status.HTTP_404_NOT_FOUND,
    NoProfile: status.HTTP_404_NOT_FOUND,
    OutsideHorizon: status.HTTP_422_UNPROCESSABLE_CONTENT,
    PartitionsMoving: status.HTTP_503_SERVICE_UNAVAILABLE,
    PeerUnreachable: status.HTTP_503_SERVICE_UNAVAILABLE,
    ReportLogUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    RejectedInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
    BadCursor: status.HTTP_422_UNPROCESSABLE_CONTENT,
    BadEventId: status.HTTP_422_UNPROCESSABLE_CONTENT,
    TooLarge: status.HTTP_413_CONTENT_TOO_LARGE,
    UnsupportedMediaType: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    BrokerUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


async def _answer(_: Request, error: Exception) -> JSONResponse:
    retry = PartitionsMoving | PeerUnreachable | ReportLogUnavailable | BrokerUnavailable
    headers = {"Retry-After": "1"} if isinstance(error, retry) else None
    code = next(code for kind, code in STATUS_OF.items() if isinstance(error, kind))
    body: dict[str, object] = {"detail": str(error)}
    if isinstance(error, RejectedInput):
        body["rejected"] = error.rejected
    return JSONResponse(body, code, headers)


def install_error_handlers(api: FastAPI) -> None:
    for kind in STATUS_OF:
        api.add_exception_handler(kind, _answer)
