"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_email_lowercase')),
    sa.CheckConstraint('length(display_name) > 0', name=op.f('ck_user_display_name_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('session_token', name=op.f('uq_user_session_token'))
    )
    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('state', sa.Enum('draft', 'in_review', 'changes_requested', 'approved', 'published', 'retracted', name='post_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.Column('approved_revision_id', sa.Integer(), nullable=True),
    sa.Column('published_revision_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state NOT IN ('approved') OR approved_revision_id IS NOT NULL", name=op.f('ck_post_approved_has_revision')),
    sa.CheckConstraint("state NOT IN ('published') OR published_revision_id IS NOT NULL", name=op.f('ck_post_published_has_revision')),
    sa.CheckConstraint('length(slug) > 0', name=op.f('ck_post_slug_not_empty')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_post_author_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post')),
    sa.UniqueConstraint('slug', name=op.f('uq_post_slug'))
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_state'), ['state'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('writer', 'reviewer', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_role_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('rendered', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_revision_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_revision_created_by_id_user')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_revision_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision')),
    sa.UniqueConstraint('post_id', 'id', name=op.f('uq_revision_post_id_id')),
    sa.UniqueConstraint('post_id', 'number', name=op.f('uq_revision_post_id_number'))
    )
    # post and revision point at each other; the post's pins are added once both exist.
    with op.batch_alter_table('post', schema=None) as batch_op:
        for pin in ('current', 'approved', 'published'):
            batch_op.create_foreign_key(
                f'fk_post_{pin}_revision', 'revision',
                ['id', f'{pin}_revision_id'], ['post_id', 'id'],
            )

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.CheckConstraint('length(action) > 0', name=op.f('ck_audit_event_action_not_empty')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_audit_event_post_id_post'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_audit_event_revision_id_revision'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_post_id'), ['post_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_post_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
    with op.batch_alter_table('post', schema=None) as batch_op:
        for pin in ('current', 'approved', 'published'):
            batch_op.drop_constraint(f'fk_post_{pin}_revision', type_='foreignkey')
    op.drop_table('revision')
    op.drop_table('user_role')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_state'))
        batch_op.drop_index(batch_op.f('ix_post_author_id'))

    op.drop_table('post')
    op.drop_table('user')
