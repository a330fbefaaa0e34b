"""Each revision's findings are stored once, beside it, with the rules' version

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A table of its own, not columns on "revision": revisions refuse every UPDATE (0002's
    # trigger), and this cache is rewritten whenever the rules change. Existing revisions get
    # no row here; the app computes and stores their findings when first asked (or through
    # `editorial posts recheck`).
    op.create_table(
        'revision_findings',
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('rules_version', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('warnings', sa.Integer(), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.CheckConstraint('errors >= 0', name=op.f('ck_revision_findings_errors_not_negative')),
        sa.CheckConstraint(
            'warnings >= 0', name=op.f('ck_revision_findings_warnings_not_negative')
        ),
        sa.ForeignKeyConstraint(
            ['revision_id'], ['revision.id'],
            name=op.f('fk_revision_findings_revision_id_revision'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('revision_id', name=op.f('pk_revision_findings')),
    )


def downgrade():
    op.drop_table('revision_findings')
