import gc

from editorial import create_app

app = create_app()
# What start-up made (the app, its templates' code, SQLAlchemy's mappers) lives as long as the
# process: keep it out of the collector's scans, whose longest pauses were the desk's p99.
gc.freeze()
