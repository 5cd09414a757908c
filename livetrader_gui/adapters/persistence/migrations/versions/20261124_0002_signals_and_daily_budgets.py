"""signals and daily budgets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:45:34.361309
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_budgets",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("trading_day", sa.String(length=10), nullable=False),
        sa.Column("start_of_day_equity", sa.String(length=64), nullable=False),
        sa.Column("realized_at_start", sa.String(length=64), nullable=False),
        sa.Column("unrealized_at_start", sa.String(length=64), nullable=False),
        sa.Column("limit_reached_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("session_id", "trading_day", name=op.f("pk_daily_budgets")),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("price", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signals_session_created", ["session_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_session_created")

    op.drop_table("signals")
    op.drop_table("daily_budgets")
