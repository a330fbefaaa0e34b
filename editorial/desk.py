"""The desk's home: the signed-in user's posts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from .extensions import db
from .models import Post, Role
from .permissions import role_required

bp = Blueprint("desk", __name__)


@bp.get("/")
@role_required(Role.WRITER, Role.REVIEWER, Role.ADMIN)
def index() -> str:
    posts = db.session.scalars(
        sa.select(Post).where(Post.author_id == current_user.id).order_by(Post.updated_at.desc())
    ).all()
    return render_template("desk/index.html", posts=posts)
