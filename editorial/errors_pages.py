"""Friendly error pages: never a stack trace to a user."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "There is nothing here.",
    405: "That action is not possible here.",
    413: "What you sent is too large.",
    429: "Too many attempts. Wait a minute and try again.",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "Your form expired or was sent from elsewhere. Go back, reload and try again."
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):  # the agent API answers in problem details
            from .api import problem

            return problem(error.code or 500, MESSAGES.get(error.code or 500, error.description))
        code = error.code or 500
        message = MESSAGES.get(code, error.description or "Something went wrong.")
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        app.logger.exception("Unhandled error")
        if request.path.startswith("/api/"):
            from .api import problem

            return problem(500, "Something went wrong on our side. It has been logged.")
        message = "Something went wrong on our side. It has been logged."
        return render_template("error.html", code=500, message=message), 500
