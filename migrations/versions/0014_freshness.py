"""Freshness: each post's last review, when it is due for another, and when the desk said so

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_post_review_due_at'), ['review_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_review_due_at'))
        batch_op.drop_column('due_notified_at')
        batch_op.drop_column('review_due_at')
        batch_op.drop_column('last_reviewed_at')
