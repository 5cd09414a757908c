"""backtest details: the daily equity curve and the costs a backtest charged

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        # Results stored before this revision keep their metrics; they have no curve to show.
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.drop_column("details")
