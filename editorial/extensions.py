"""Flask extensions, created unbound and attached in create_app with init_app."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from editorial.models import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

__all__ = ["csrf", "db", "login_manager", "migrate"]
