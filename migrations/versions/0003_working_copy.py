"""Working copies: a post's autosaved, not yet saved edits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('working_copy',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('base_revision', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('form_data', sa.JSON(), nullable=True),
    sa.Column('saved_by_id', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base_revision >= 1', name=op.f('ck_working_copy_base_revision_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_working_copy_version_positive')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_working_copy_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by_id'], ['user.id'], name=op.f('fk_working_copy_saved_by_id_user')),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_working_copy'))
    )


def downgrade():
    op.drop_table('working_copy')
