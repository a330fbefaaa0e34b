"""E-mail subscriptions: subscribers (addresses once, tokens as hashes), their tags, and each
mailing and delivery (unique per mailing and subscriber: nobody mailed twice)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'unsubscribed', name='subscriber_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('all_posts', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirm_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('manage_salt', sa.String(length=64), nullable=False),
    sa.Column('manage_token_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status <> 'confirmed' OR confirmed_at IS NOT NULL", name=op.f('ck_subscriber_confirmed_has_time')),
    sa.CheckConstraint('(confirm_token_hash IS NULL) = (confirm_expires_at IS NULL)', name=op.f('ck_subscriber_confirm_token_expires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriber')),
    sa.UniqueConstraint('address', name=op.f('uq_subscriber_address')),
    sa.UniqueConstraint('confirm_token_hash', name=op.f('uq_subscriber_confirm_token_hash')),
    sa.UniqueConstraint('manage_token_hash', name=op.f('uq_subscriber_manage_token_hash'))
    )
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.create_index('ix_subscriber_status_id', ['status', 'id'], unique=False)

    op.create_table('subscriber_tag',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], name=op.f('fk_subscriber_tag_subscriber_id_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', 'slug', name=op.f('pk_subscriber_tag'))
    )
    with op.batch_alter_table('subscriber_tag', schema=None) as batch_op:
        batch_op.create_index('ix_subscriber_tag_slug', ['slug', 'subscriber_id'], unique=False)

    op.create_table('mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('new', 'correction', 'retraction', name='mailing_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['publish_job.id'], name=op.f('fk_mailing_job_id_publish_job')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_mailing_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_mailing_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing')),
    sa.UniqueConstraint('post_id', 'publication_id', 'kind', name=op.f('uq_mailing_post_id_publication_id_kind'))
    )
    with op.batch_alter_table('mailing', schema=None) as batch_op:
        batch_op.create_index('ix_mailing_finished_at', ['finished_at'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=255), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailing.id'], name=op.f('fk_delivery_mailing_id_mailing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], name=op.f('fk_delivery_subscriber_id_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    sa.UniqueConstraint('mailing_id', 'subscriber_id', name=op.f('uq_delivery_mailing_id_subscriber_id'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_mailing_id_sent_at', ['mailing_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_delivery_subscriber_id', ['subscriber_id'], unique=False)



def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_subscriber_id')
        batch_op.drop_index('ix_delivery_mailing_id_sent_at')

    op.drop_table('delivery')
    with op.batch_alter_table('mailing', schema=None) as batch_op:
        batch_op.drop_index('ix_mailing_finished_at')

    op.drop_table('mailing')
    with op.batch_alter_table('subscriber_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriber_tag_slug')

    op.drop_table('subscriber_tag')
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriber_status_id')

    op.drop_table('subscriber')
