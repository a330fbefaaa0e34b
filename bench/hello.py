"""Flask's hello world: the yardstick desk_bench.py serves with the desk's server settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
