"""The desk benchmark's own arithmetic: reading wrk's report, and the targets' verdicts."""

from __future__ import annotations

import argparse

import pytest

from bench.desk_bench import (
    REFRESH,
    REFRESH_SCORE,
    Figures,
    _retype,
    form_fields,
    parse_wrk,
    report,
    verdicts,
)

WRK = """Running 10s test @ http://127.0.0.1:40123/review/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.22ms   12.01ms 151.00ms   80.00%
    Req/Sec    97.10     12.30   120.00     70.00%
  Latency Distribution
     50%   38.50ms
     75%   45.00ms
     90%   60.00ms
     99%    1.20s
  1942 requests in 10.01s, 40.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    194.01
Transfer/sec:      4.00MB
"""


def test_wrk_figures_are_read_in_milliseconds():
    figures = parse_wrk(WRK)
    assert figures == Figures(rps=194.01, median_ms=38.5, p99_ms=1200.0, errors=3)
    assert parse_wrk(WRK.replace("38.50ms", "950.00us")).median_ms == pytest.approx(0.95)


def test_each_target_is_judged_and_the_report_says_which_failed(capsys):
    hello = Figures(2000.0, 2.0, 9.0)
    http = {
        "review queue": Figures(250.0, 30.0, 120.0),  # every target met
        "desk home": Figures(150.0, 45.0, 140.0),  # under 10 % of hello world's req/s
        "notifications": Figures(90.0, 60.0, 100.0),  # median too high
    }
    server = {
        REFRESH: {"ms": 40.0, "cpu_ms": 35.0, "sql": 4, "sql_ms": 3.0, "template_ms": 1.0},
        REFRESH_SCORE: {
            "ms": 120.0, "cpu_ms": 90.0, "sql": 4, "sql_ms": 3.0, "template_ms": 1.0,
        },
    }  # fmt: skip
    judged = {(what, target.split()[0]): ok for what, target, ok in verdicts(http, hello, server)}
    assert judged == {
        ("review queue", "median"): True,
        ("review queue", ">="): True,
        ("desk home", "median"): True,
        ("desk home", ">="): False,
        ("notifications", "median"): False,
        (REFRESH, "server"): True,
        (REFRESH_SCORE, "server"): False,
    }
    args = argparse.Namespace(
        posts=10, in_review=2, writer_posts=5, workers=2, threads=2, connections=8,
        duration=1, samples=3,
    )  # fmt: skip
    assert report(http, hello, server, args) is False
    out = capsys.readouterr().out
    assert "FAIL  desk home: >= 10% of hello world's req/s" in out
    assert f"FAIL  {REFRESH_SCORE}: server time <= 100 ms" in out
    assert "pass  review queue: median <= 50 ms, p99 <= 150 ms" in out
    assert "review queue                        250    30.0ms   120.0ms    12.5%" in out


def test_the_form_is_read_as_a_browser_sends_it():
    page = """<form id="other"><input name="q" value="x"></form>
    <form id="post-form"><input type="hidden" name="csrf_token" value="t">
    <input name="title" value="A &amp; B"><input type="checkbox" name="flag">
    <input type="checkbox" name="on" value="1" checked><textarea name="bias">
Line one
Line two
</textarea><select name="link"><option value="">ordinary</option>
    <option value="affiliate" selected>affiliate</option></select>
    <select name="kind"><option value="">none</option><option value="x">x</option></select>
    <button type="submit" name="action" value="save">Save</button></form>"""
    assert form_fields(page, "post-form") == [
        ("csrf_token", "t"),
        ("title", "A & B"),
        ("on", "1"),
        ("bias", "Line one\r\nLine two\r\n"),  # browsers send line breaks as CRLF
        ("link", "affiliate"),  # a select sends its chosen option, else its first
        ("kind", ""),
    ]


def test_a_retyped_score_differs_each_request_and_stays_on_the_scale():
    fields = [("title", "T"), ("entries-0-criteria-0-score", "7"), ("tags", "a")]
    sent = [_retype(fields, "entries-0-criteria-0-score", n) for n in range(1000)]
    scores = [dict(form)["entries-0-criteria-0-score"] for form in sent]
    assert len(set(scores)) == 1000 and all(0 < float(s) <= 10 for s in scores)
    assert all([k for k, _ in form] == [k for k, _ in fields] for form in sent)
    with pytest.raises(RuntimeError):
        _retype(fields, "entries-9-criteria-0-score", 0)
