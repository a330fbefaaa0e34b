"""Shared previews: links that show one revision to someone without an account, stored as hashes

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('preview_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('view_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_viewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_preview_link_expires_after_creation')),
    sa.CheckConstraint('view_count >= 0', name=op.f('ck_preview_link_view_count_not_negative')),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_by_id IS NULL)', name=op.f('ck_preview_link_revoked_with_who')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_preview_link_created_by_id_user')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_preview_link_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id', 'revision_id'], ['revision.post_id', 'revision.id'], name='fk_preview_link_revision', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_preview_link_revoked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preview_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_preview_link_token_hash'))
    )
    with op.batch_alter_table('preview_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preview_link_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('preview_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preview_link_post_id'))

    op.drop_table('preview_link')
