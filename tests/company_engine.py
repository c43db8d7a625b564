"""An engine that says whether the scheduler expected company for the run (its one sample is 1.0
if so, else 0.0): for the process-isolation tests, so it lives in an importable module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from clarion.engines.base import Audio, Segment, company_expected
from clarion.engines.null import NullEngine


class CompanyEngine(NullEngine):
    name: ClassVar[str] = "company"

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        flag = 1.0 if company_expected.get() else 0.0
        return [np.full(1, flag, dtype=np.float32) for _ in batch]
