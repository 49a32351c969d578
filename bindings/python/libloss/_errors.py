"""Statuses of the C library and the Python exceptions that carry them."""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """``loss_status`` of ``loss.h``."""

    OK = 0
    NULL_POINTER = 1
    INVALID_ARGUMENT = 2
    SHAPE = 3
    LABEL_OUT_OF_RANGE = 4
    ALLOCATION = 5
    PANIC = 6


class LossError(Exception):
    """A libloss call failed: ``status`` (a :class:`Status`) and ``message``.

    ``message`` is the C library's ``loss_last_error_message()`` (it names the C
    function, e.g. ``"loss_huber_f32: ..."``), or, for errors the Python wrapper finds
    before calling C (array shapes that do not fit), one naming the Python function
    (``"libloss.huber: ..."``). Each status has its own subclass, so
    ``except libloss.ShapeError`` works; ``LossError.for_status`` picks it.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = Status(status) if status in Status._value2member_map_ else status
        self.message = message

    def __str__(self) -> str:
        name = self.status.name if isinstance(self.status, Status) else str(self.status)
        return f"[{name}] {self.message}"

    @staticmethod
    def for_status(status: int, message: str) -> "LossError":
        """The exception of the subclass for ``status`` (LossError itself if unknown)."""
        return _BY_STATUS.get(status, LossError)(status, message)


class NullPointerError(LossError):
    """``LOSS_ERROR_NULL_POINTER`` (a required buffer was missing)."""


class InvalidArgumentError(LossError, ValueError):
    """``LOSS_ERROR_INVALID_ARGUMENT``: a bad option value or overlapping buffers."""


class ShapeError(LossError, ValueError):
    """``LOSS_ERROR_SHAPE``: a zero or overflowing size, or sizes that do not fit."""


class LabelOutOfRangeError(LossError, ValueError):
    """``LOSS_ERROR_LABEL_OUT_OF_RANGE``: an integer label outside ``[0, classes)``."""


class AllocationError(LossError, MemoryError):
    """``LOSS_ERROR_ALLOCATION``: libloss could not allocate a temporary."""


class PanicError(LossError):
    """``LOSS_ERROR_PANIC``: a bug inside libloss (or an exception in a custom loss)."""


_BY_STATUS = {
    Status.NULL_POINTER: NullPointerError,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.SHAPE: ShapeError,
    Status.LABEL_OUT_OF_RANGE: LabelOutOfRangeError,
    Status.ALLOCATION: AllocationError,
    Status.PANIC: PanicError,
}
