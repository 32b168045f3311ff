"""Calls made again while the server could not take them, as the C++ client does
(client/retry_policy.h): waits grow from 0.25 s, doubling up to 10 s, times a random
factor in [0.8, 1.2], never shorter than the server's RetryInfo hint; the deadline
bounds every attempt and wait together."""

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import grpc

from qbake.errors import BakeError, RetryableError

_LOG = logging.getLogger("qbake")
Result = TypeVar("Result")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5  # attempts after the first
    initial_backoff: float = 0.25  # seconds
    max_backoff: float = 10.0

    def wait(self, retry: int, error: BakeError) -> float:
        """The seconds to wait before retry number `retry` (1 for the first)."""
        backoff = min(self.initial_backoff * 2 ** (retry - 1), self.max_backoff)
        backoff *= random.uniform(0.8, 1.2)
        return max(backoff, error.retry_delay or 0.0)


def call_with_retries(attempt: Callable[[float], Result], policy: RetryPolicy,
                      deadline: float) -> Result:
    """attempt(seconds left), again after each RetryableError while retries and the
    deadline (a time.monotonic() instant) allow; the last error otherwise."""
    retry = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BakeError(grpc.StatusCode.DEADLINE_EXCEEDED,
                            "the deadline passed before the server answered")
        try:
            return attempt(remaining)
        except RetryableError as error:
            retry += 1
            wait = policy.wait(retry, error) if retry <= policy.retries else None
            if wait is None or time.monotonic() + wait >= deadline:
                raise
            _LOG.warning("%s; trying again in %.1f s (retry %d of %d)", error.message, wait,
                         retry, policy.retries)
            time.sleep(wait)
