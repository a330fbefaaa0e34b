"""Friendly error pages: never a stack trace to a user."""

from __future__ import annotations

from collections.abc import Callable
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


class ExplainedError(HTTPException):
    """An error answer with a message written for the person who sent the request: shown as
    it is, where other errors of the same code get the generic message above."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _message(error: HTTPException) -> str:
    if isinstance(error, ExplainedError):
        return error.description or ""
    return MESSAGES.get(error.code or 500, error.description or "Something went wrong.")


def init_app(app: Flask, api_problem: Callable[[int, str], Any]) -> None:
    """Answer errors with the error page; under /api/ with ``api_problem(status, detail)``, the
    API's problem details (create_app passes it in: the desk does not import the API)."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "Your form expired or was sent from elsewhere. Go back, reload and try again."
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):  # the agent API answers in problem details
            return api_problem(error.code or 500, _message(error))
        code = error.code or 500
        return render_template("error.html", code=code, message=_message(error)), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        app.logger.exception("Unhandled error")
        if request.path.startswith("/api/"):
            return api_problem(500, "Something went wrong on our side. It has been logged.")
        message = "Something went wrong on our side. It has been logged."
        return render_template("error.html", code=500, message=message), 500
