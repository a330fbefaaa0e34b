"""A tag's name and the site's list of tags come off an index, however many posts a tag has

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # min(name) for one slug, and the next slug after another, each one index lookup: publishing
    # a post no longer reads every row of a tag that thousands of posts share.
    op.create_index('ix_post_tag_slug_name', 'post_tag', ['slug', 'name'], unique=False)


def downgrade():
    op.drop_index('ix_post_tag_slug_name', table_name='post_tag')
