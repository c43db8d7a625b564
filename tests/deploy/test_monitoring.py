"""The Prometheus rules, scrape config and Grafana dashboard under deploy/.

promtool (from Prometheus) validates the files and runs the alert unit tests; the
metric-name checks make sure every query refers to a series Clarion really exports, so a
renamed metric cannot silently blank a panel or disarm an alert."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from clarion.api.app import create_app
from clarion.config import Settings

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
CONFIG = PROMETHEUS / "prometheus.yml"
ALERTS_TEST = PROMETHEUS / "alerts_test.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "clarion-dashboard.json"

# Series that are not Clarion's but may be queried: Prometheus' own scrape health.
EXTERNAL = {"up"}


# --- promtool ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not on PATH (install Prometheus, e.g. Debian's `prometheus` package)")
    return path


def run_promtool(promtool: str, *args: str | Path) -> None:
    done = subprocess.run(
        [promtool, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"promtool {' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"


def test_alert_rules_are_valid(promtool: str) -> None:
    run_promtool(promtool, "check", "rules", ALERTS.relative_to(REPO))


def test_prometheus_config_is_valid(promtool: str) -> None:
    # check config also loads and checks the rule_files, relative to the config file.
    run_promtool(promtool, "check", "config", CONFIG.relative_to(REPO))


def test_alert_unit_tests_pass(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", ALERTS_TEST.relative_to(REPO))


def test_dashboard_queries_parse_as_promql(promtool: str, tmp_path: Path) -> None:
    """Grafana's variables replaced by plain values, each query must be valid PromQL."""
    substitutions = {"$__rate_interval": "5m", "$__interval": "1m", "$engine": ".*", "$instance": ".*"}
    rules = []
    for i, expr in enumerate(dashboard_exprs()):
        for variable, value in substitutions.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"unhandled Grafana variable in {expr!r}"
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    run_promtool(promtool, "check", "rules", path)


# --- metric names -----------------------------------------------------------------------

_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# An identifier not glued to a preceding word, number or variable, and not a function call.
_IDENTIFIER = re.compile(r"(?<![\w.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
_NOT_METRICS |= {"bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (function names and labels left out)."""
    s = _STRING.sub('""', expr)
    s = _MATCHERS.sub("", s)
    s = _RANGE.sub("", s)
    s = _GROUPING.sub("", s)
    return {m for m in _IDENTIFIER.findall(s) if m.lower() not in _NOT_METRICS}


def _series_names(family: str, kind: str) -> set[str]:
    """The sample names a metric family of this type is exposed as."""
    if kind == "counter":
        base = family.removesuffix("_total")
        return {f"{base}_total", f"{base}_created"}
    if kind == "histogram":
        return {family + suffix for suffix in ("_bucket", "_sum", "_count", "_created")}
    if kind == "gaugehistogram":
        return {family + suffix for suffix in ("_bucket", "_gsum", "_gcount")}
    if kind == "summary":
        return {family} | {family + suffix for suffix in ("_sum", "_count", "_created")}
    if kind == "info":
        return {family, f"{family}_info"}
    return {family}


@cache
def exported_names() -> frozenset[str]:
    """Every series name the real app's /metrics can expose.

    Families with labels and no observation yet (queue depth before any engine runs, request
    counters before any request) have no samples, only HELP/TYPE lines, so names come from
    the `# TYPE` lines as well as from the parsed samples."""
    app = create_app(Settings(engines=["null"], default_engine="null"))
    text = app.state.metrics.render().decode()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names |= {sample.name for sample in family.samples}
        names |= _series_names(family.name, family.type)
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        names |= _series_names(name, kind)
    return frozenset(names)


def _walk_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _walk_panels(panel.get("panels", []))  # collapsed rows hold their panels


@cache
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_exprs() -> list[str]:
    return [
        target["expr"]
        for panel in _walk_panels(dashboard()["panels"])
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_metric_name_extraction() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (engine, le) (rate(a_bucket{engine=~"$engine", x="y{z}"}'
        "[$__rate_interval]))) > 2 * 1e3 or absent(b) unless on (instance) c offset 5m and bool d:rate5m"
    )
    assert metric_names(expr) == {"a_bucket", "b", "c", "d:rate5m"}


def test_exported_names_include_families_without_samples() -> None:
    names = exported_names()
    # No request, engine run or rejection has happened: these exist only as TYPE lines.
    for name in (
        "clarion_requests_total",
        "clarion_time_to_first_audio_seconds_bucket",
        "clarion_batch_size_count",
        "clarion_queue_depth",
        "clarion_in_flight_batches",
        "clarion_rejected_total",
        "clarion_ready",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ):
        assert name in names
    # A histogram has no series under its bare name.
    assert "clarion_batch_size" not in names


def test_dashboard_queries_use_exported_metrics() -> None:
    exprs = dashboard_exprs()
    assert exprs
    known = exported_names() | EXTERNAL
    unknown = {(name, expr) for expr in exprs for name in metric_names(expr) if name not in known}
    assert not unknown, f"dashboard queries reference metrics Clarion does not export: {sorted(unknown)}"
    for expr in exprs:
        assert metric_names(expr), f"no metric found in {expr!r}"


def test_dashboard_variables_use_exported_metrics() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert {"engine", "instance"} <= variables.keys()
    assert variables["datasource"]["type"] == "datasource"
    for name in ("engine", "instance"):
        query = variables[name]["query"]
        text = query["query"] if isinstance(query, dict) else query
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", text.strip())
        assert match and match.group(2) == name, f"${name} should be label_values(<metric>, {name})"
        assert metric_names(match.group(1)) <= exported_names(), text


def test_dashboard_structure() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 36
    panels = list(_walk_panels(board["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"panel {panel['title']!r} has no queries"
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_alert_rules_use_exported_metrics() -> None:
    rules = alert_rules()
    assert rules
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        names = metric_names(rule["expr"])
        assert names, f"no metric found in {rule['alert']}"
        unknown = names - exported_names() - EXTERNAL
        assert not unknown, f"{rule['alert']} references metrics Clarion does not export: {sorted(unknown)}"


def test_speech_latency_slo_alert_is_optional_and_tested() -> None:
    """The p99 latency option: its own group (so it can be dropped whole), 1.2 s for 2 minutes,
    and exercised by the promtool unit tests."""
    groups = {g["name"]: g["rules"] for g in yaml.safe_load(ALERTS.read_text())["groups"]}
    (rule,) = groups["clarion-latency-slo"]
    assert rule["alert"] == "ClarionSpeechLatencyP99High"
    assert rule["for"] == "2m"
    assert re.search(r"histogram_quantile\(0\.99,", rule["expr"])
    assert rule["expr"].strip().endswith("> 1.2")
    assert "threshold: 1.2s" in rule["annotations"]["description"]
    tested = {
        t["alertname"]
        for case in yaml.safe_load(ALERTS_TEST.read_text())["tests"]
        for t in case["alert_rule_test"]
    }
    assert rule["alert"] in tested
