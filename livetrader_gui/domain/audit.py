"""The audit journal: an append-only record of every decision."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from livetrader_gui.domain.values import aware, text

# Lists of codes (a risk decision's reasons) are tuples, so that an entry stays immutable.
JournalValue = str | int | float | bool | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One journal line: what happened (``kind``), when, to which session, and its details."""

    kind: str
    message: str
    at: datetime
    session_id: str | None = None
    data: Mapping[str, JournalValue] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", text(self.kind, "journal entry kind", max_length=64))
        object.__setattr__(self, "message", text(self.message, "journal message", max_length=2_000))
        aware(self.at, "journal entry time")
        data = {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in self.data.items()
        }
        object.__setattr__(self, "data", MappingProxyType(data))
        if not self.id:
            object.__setattr__(self, "id", uuid.uuid4().hex)
