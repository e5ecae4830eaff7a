"""torch.compile under a time budget, shared by every benchmark that has compiled forms."""
from __future__ import annotations

import time

import torch

FREEZING = {"freezing": True}  # torch.compile options of the compile+freezing forms (inductor config)


class Compiler:
    """torch.compile with a total time budget; failures and skips are recorded with their reason."""

    def __init__(self, enabled: bool, budget_s: float):
        self.enabled, self.budget, self.spent = enabled, budget_s, 0.0
        self.reasons: dict[str, str] = {}
        self.failure: str | None = None

    def build(self, key: str, fn, args, options: dict | None = None):
        """`fn(*args)` compiled and warmed (two calls without gradients), as a zero-argument callable; None
        (the reason in `self.reasons[key]`) when compilation is off, over budget or fails."""

        def warm(compiled):
            with torch.no_grad():
                compiled(*args)
                compiled(*args)

        compiled = self.compile(key, fn, warm, options)
        return None if compiled is None else (lambda: compiled(*args))

    def compile(self, key: str, fn, warm, options: dict | None = None):
        """torch.compile(fn), warmed by `warm(compiled)` (the compilation happens there), its time charged to
        the budget; None with the reason recorded when off, over budget or failed."""
        if self.failure:
            self.reasons[key] = self.failure
            return None
        if not self.enabled:
            self.reasons[key] = "torch.compile disabled (--no-compile or --quick)"
            return None
        if self.spent > self.budget:
            self.reasons[key] = f"torch.compile budget of {self.budget:.0f}s spent on earlier shapes"
            return None
        t0 = time.perf_counter()
        try:
            compiled = torch.compile(fn, dynamic=False, options=options)
            warm(compiled)
        except Exception as err:  # offline toolchain, missing compiler, ...: excluded, with the reason
            self.failure = f"torch.compile failed: {type(err).__name__}: {(str(err).splitlines() or [''])[0][:120]}"
            self.reasons[key] = self.failure
            return None
        finally:
            self.spent += time.perf_counter() - t0
        return compiled
