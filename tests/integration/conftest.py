from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.persistence.database import Database, prepare_database


@pytest.fixture
def migrated_url(tmp_path: Path) -> str:
    """Return the URL of a fresh database migrated to head (migrations run synchronously)."""
    return prepare_database(str(tmp_path / "livetrader.db")).url


@pytest_asyncio.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    db = Database(migrated_url)
    yield db
    await db.dispose()
