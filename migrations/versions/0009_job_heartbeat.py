"""Publish jobs name the worker running them and how long it holds them (its heartbeat)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('publish_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('held_until', sa.DateTime(timezone=True), nullable=True))
    # A job running when the upgrade happens belongs to a worker that does not beat: its hold
    # has run out, so the next sweep sends it again (running it twice is harmless).
    op.execute(
        "UPDATE publish_job SET worker = 'unknown', held_until = updated_at"
        " WHERE status = 'running'"
    )
    with op.batch_alter_table('publish_job', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_publish_job_running_has_worker'),
            "status <> 'running' OR (worker IS NOT NULL AND held_until IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table('publish_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_publish_job_running_has_worker'), type_='check')
        batch_op.drop_column('held_until')
        batch_op.drop_column('worker')
