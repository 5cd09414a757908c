"""paper capital

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("paper_sessions", schema=None) as batch_op:
        # Paper sessions recorded before this revision were evidence only; they started with
        # the default paper capital, which is what they are given here.
        batch_op.add_column(
            sa.Column("capital", sa.String(length=64), nullable=False, server_default="10000000")
        )
        batch_op.create_index(
            batch_op.f("ix_paper_sessions_live_session_id"), ["live_session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("paper_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_sessions_live_session_id"))
        batch_op.drop_column("capital")
