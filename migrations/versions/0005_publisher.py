"""The publisher: an outbox of publish jobs, publications, the site lock row

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_site_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_state'))
    )
    # The one row that publishing jobs lock, there from the start so that no two make it.
    op.execute("INSERT INTO site_state (id, generation) VALUES (1, 0)")
    op.create_table('publish_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'running', 'done', 'failed', name='job_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("action = 'retract' OR revision_id IS NOT NULL", name=op.f('ck_publish_job_publish_has_revision')),
    sa.CheckConstraint("action IN ('publish', 'retract')", name=op.f('ck_publish_job_action_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_publish_job_attempts_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_publish_job_created_by_id_user')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_publish_job_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_publish_job_revision_id_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publish_job'))
    )
    with op.batch_alter_table('publish_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publish_job_post_id'), ['post_id'], unique=False)
        batch_op.create_index('ix_publish_job_status_not_before', ['status', 'not_before'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('correction', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['publish_job.id'], name=op.f('fk_publication_job_id_publish_job')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_publication_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_publication_revision_id_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_post_id'), ['post_id'], unique=False)

    # Plain ADD COLUMN, never a batch copy of "post": on SQLite that copy drops the table,
    # and with foreign keys on, dropping it would cascade to every revision.
    op.add_column('post', sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('post', sa.Column('site_seq', sa.Integer(), nullable=True))
    op.add_column('post', sa.Column('live_updated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('post', sa.Column('public_slug', sa.String(length=100), nullable=True))
    op.add_column('post', sa.Column('feed_id', sa.String(length=64), nullable=True))
    op.create_index('ix_post_site_seq', 'post', ['site_seq'], unique=True)
    op.create_index('ix_post_public_slug', 'post', ['public_slug'], unique=True)
    op.create_table('post_tag',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('site_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_post_tag_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'slug', name=op.f('pk_post_tag'))
    )
    op.create_index('ix_post_tag_slug_site_seq', 'post_tag', ['slug', 'site_seq'], unique=False)


def downgrade():
    op.drop_index('ix_post_tag_slug_site_seq', table_name='post_tag')
    op.drop_table('post_tag')
    op.drop_index('ix_post_public_slug', table_name='post')
    op.drop_index('ix_post_site_seq', table_name='post')
    for column in ('feed_id', 'public_slug', 'live_updated_at', 'site_seq', 'published_at'):
        op.execute(f'ALTER TABLE post DROP COLUMN {column}')

    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_post_id'))

    op.drop_table('publication')
    with op.batch_alter_table('publish_job', schema=None) as batch_op:
        batch_op.drop_index('ix_publish_job_status_not_before')
        batch_op.drop_index(batch_op.f('ix_publish_job_post_id'))

    op.drop_table('publish_job')
    op.drop_table('site_state')
