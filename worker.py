import gc

from editorial import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
# As wsgi.py: what start-up made lives as long as the process (pool processes fork from here),
# so the collector's full scans, some 0.15 s each when one falls inside a publish, skip it.
gc.freeze()
