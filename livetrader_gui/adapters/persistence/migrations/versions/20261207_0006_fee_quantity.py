"""fee quantity: what a venue kept of a buy's quantity as its fee

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00.000000

Binance takes its fee in the coin bought (unless the account pays with BNB): the buyer paid for
the whole quantity and holds less by the fee. Fills stored before this revision kept nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fee_quantity", sa.String(length=64), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_column("fee_quantity")
