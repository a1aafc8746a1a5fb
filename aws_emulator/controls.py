"""Call log and fault injection, shared by the in-process `Emulator` and the `EmulatorServer`."""

from __future__ import annotations

from .dispatch import CallRecord, Dispatcher, Fault


class Controls:
    """Mixin over a `dispatcher` attribute: calls, count(), inject(), clear_faults()."""

    dispatcher: Dispatcher

    @property
    def calls(self) -> list[CallRecord]:
        """Every answered call, in order (errors and injected faults included)."""
        return self.dispatcher.calls

    def count(
        self,
        service: str | None = None,
        operation: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> int:
        """Number of answered calls matching every given criterion (each ce call costs $0.01)."""
        return self.dispatcher.count(service, operation, account_id, region)

    def inject(
        self,
        service: str,
        operation: str | None,
        error_code: str = "ThrottlingException",
        account_id: str | None = None,
        region: str | None = None,
        times: int | None = 1,
        message: str | None = None,
        http_status: int | None = None,
        after: int = 0,
        delay: float = 0.0,
    ) -> Fault:
        """Answer the next `times` matching calls (None: all of them) with `error_code`.

        `operation=None` matches every operation of the service. The HTTP status defaults to
        the model's for that error, else AWS's usual one (403 AccessDenied*, 429
        TooManyRequestsException, 5xx internal errors), else 400 (ThrottlingException on JSON
        services). `after`: let that many matching calls through first (the Nth page of a
        pagination); `delay`: seconds of latency before answering.
        """
        fault = Fault(
            service,
            operation,
            error_code,
            account_id,
            region,
            times,
            message,
            http_status,
            after=after,
            delay=delay,
        )
        with self.dispatcher.lock:
            self.dispatcher.faults.append(fault)
        return fault

    def slow(
        self,
        service: str,
        operation: str | None = None,
        seconds: float = 0.5,
        account_id: str | None = None,
        region: str | None = None,
        times: int | None = None,
    ) -> Fault:
        """Answer matching calls normally, but only after `seconds` (a slow or distant AWS)."""
        return self.inject(service, operation, "", account_id, region, times=times, delay=seconds)

    def empty_pages(
        self,
        service: str,
        operation: str,
        account_id: str | None = None,
        region: str | None = None,
        times: int | None = 1,
        after: int = 0,
    ) -> Fault:
        """Answer matching calls of a paged operation with no items and a new next token that
        leads back to the same page (AWS may answer so); a pager must keep going."""
        fault = Fault(
            service, operation, "", account_id, region, times, after=after, empty_page=True
        )
        with self.dispatcher.lock:
            self.dispatcher.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every pending injected fault."""
        with self.dispatcher.lock:
            self.dispatcher.faults.clear()

    def reset_calls(self) -> None:
        """Forget the call log (faults stay)."""
        with self.dispatcher.lock:
            self.dispatcher.calls.clear()
