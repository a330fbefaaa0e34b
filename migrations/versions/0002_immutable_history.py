"""Revisions and audit events cannot be changed, even with plain SQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('revision', 'audit_event')


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("""
            CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
        """)
        for table in TABLES:
            op.execute(
                f'CREATE TRIGGER {table}_immutable BEFORE UPDATE ON "{table}" '
                'FOR EACH ROW EXECUTE FUNCTION refuse_update()'
            )
    elif dialect == 'sqlite':
        for table in TABLES:
            op.execute(
                f'CREATE TRIGGER {table}_immutable BEFORE UPDATE ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {table}_immutable ON "{table}"')
        elif dialect == 'sqlite':
            op.execute(f'DROP TRIGGER IF EXISTS {table}_immutable')
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS refuse_update()')
