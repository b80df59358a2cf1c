"""Superset dashboards as code, checked for real: provisioning over the REST API, SQL Lab on
the read-only warehouse account, the clickhousedb dialect in the Superset environment, and
every dashboard opened in Debian's chromium on a seeded warehouse."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from dashboards.provision import BUNDLE_DIR, ProvisionError, load_bundle, provision
from tests.fixtures.superset import login

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.superset]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
DASHBOARDS = {
    "global-overview": "Global Overview",
    "pattern-explorer": "Pattern Explorer",
    "user-impact": "User & Team Impact",
    "quality-history": "Quality History",
}
METRICS: dict[str, object] = {}


def _chart_count(slug: str) -> int:
    data = yaml.safe_load((BUNDLE_DIR / "dashboards" / f"{slug}.yaml").read_text())
    return sum(
        1 for item in data["position"].values() if isinstance(item, dict) and item.get("type") == "CHART"
    )


def _snapshot(client) -> dict:
    """What provisioning controls: ids, names, params, layouts, dataset SQL and columns."""
    charts = {
        c["uuid"]: (c["id"], c["slice_name"], c["params"])
        for c in client.list_all("chart", ["id", "uuid", "slice_name", "params"])
    }
    dashboards = {}
    for d in client.list_all("dashboard", ["id", "uuid", "dashboard_title"]):
        full = client.get(f"/api/v1/dashboard/{d['id']}")["result"]
        dashboards[d["uuid"]] = (
            d["id"],
            full["dashboard_title"],
            full["position_json"],
            full["json_metadata"],
        )
    datasets = {}
    for d in client.list_all("dataset", ["id", "uuid", "table_name"]):
        full = client.get(f"/api/v1/dataset/{d['id']}")["result"]
        columns = sorted((c["column_name"], c["type"], c["is_dttm"]) for c in full["columns"])
        metrics = sorted((m["metric_name"], m["expression"]) for m in full["metrics"])
        datasets[d["uuid"]] = (d["id"], full["table_name"], full["sql"], columns, metrics)
    databases = {d["uuid"]: d["id"] for d in client.list_all("database", ["id", "uuid"])}
    return {"charts": charts, "dashboards": dashboards, "datasets": datasets, "databases": databases}


def test_provisioned_assets_match_the_bundle(superset):
    files = load_bundle()
    with superset.client() as client:
        snap = _snapshot(client)
    for folder, key in (("charts", "charts"), ("datasets", "datasets"), ("dashboards", "dashboards"),
                        ("databases", "databases")):  # fmt: skip
        wanted = {str(d["uuid"]) for n, d in files.items() if n.startswith(f"{folder}/")}
        assert wanted <= set(snap[key]), f"{folder} missing in Superset: {wanted - set(snap[key])}"
    titles = {v[1] for v in snap["dashboards"].values()}
    assert set(DASHBOARDS.values()) <= titles


def test_provisioning_twice_changes_nothing(superset):
    with superset.client() as client:
        before = _snapshot(client)
    result = provision(superset.settings)
    with superset.client() as client:
        after = _snapshot(client)
    assert result.warehouse_ok, result.warehouse_error
    assert after == before


def test_changed_chart_file_updates_that_chart(superset, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, bundle)
    chart_file = bundle / "charts" / "top_users.yaml"
    data = yaml.safe_load(chart_file.read_text())
    new_name = f"Top users (edited {uuid.uuid4().hex[:6]})"
    data["slice_name"] = new_name
    data["params"]["row_limit"] = 7
    chart_file.write_text(yaml.safe_dump(data, sort_keys=False))
    with superset.client() as client:
        before = {c["uuid"]: c for c in client.list_all("chart", ["id", "uuid", "slice_name", "params"])}
    try:
        provision(superset.settings, bundle_dir=bundle)
        with superset.client() as client:
            after = {c["uuid"]: c for c in client.list_all("chart", ["id", "uuid", "slice_name", "params"])}
        edited = after[str(data["uuid"])]
        assert edited["id"] == before[str(data["uuid"])]["id"]  # updated in place, not duplicated
        assert edited["slice_name"] == new_name
        assert json.loads(edited["params"])["row_limit"] == 7
        assert len(after) == len(before)
        others = {u: (c["slice_name"], c["params"]) for u, c in after.items() if u != str(data["uuid"])}
        assert others == {
            u: (c["slice_name"], c["params"]) for u, c in before.items() if u != str(data["uuid"])
        }
    finally:
        provision(superset.settings)  # back to the committed bundle
    with superset.client() as client:
        restored = {c["uuid"]: c["slice_name"] for c in client.list_all("chart", ["uuid", "slice_name"])}
    assert restored[str(data["uuid"])] == "Top users by failed runs"


def test_bad_bundle_is_refused_with_its_cause(superset, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, bundle)
    chart_file = bundle / "charts" / "top_users.yaml"
    data = yaml.safe_load(chart_file.read_text())
    data["dataset_uuid"] = str(uuid.uuid4())
    chart_file.write_text(yaml.safe_dump(data))
    with pytest.raises(ProvisionError, match=r"charts/top_users.yaml points at dataset"):
        provision(superset.settings, bundle_dir=bundle)
    (bundle / "charts" / "top_users.yaml").write_text("slice_name: [unclosed\n")
    with pytest.raises(ProvisionError, match="not valid YAML"):
        provision(superset.settings, bundle_dir=bundle)


def test_provisioning_failure_is_reported_and_superset_keeps_serving(superset, tmp_path):
    from dashboards.service import after_start, detail, status_file
    from errorhub.supervisor import http_ok
    from tests.fixtures.warehouse import free_port

    # Warehouse down: the assets still import, the check names the cause.
    down = superset.settings.model_copy(update={"warehouse_url": f"http://127.0.0.1:{free_port()}"})
    try:
        result = provision(down)
        assert not result.warehouse_ok
        assert result.warehouse_error
        assert "WAREHOUSE CHECK FAILED" in result.summary()
    finally:
        provision(superset.settings)
    # Superset unreachable / refusing: after_start reports and does not raise.
    broken = superset.settings.model_copy(update={"home": tmp_path, "superset_port": free_port()})
    (tmp_path / "superset").mkdir()
    (tmp_path / "superset" / "bootstrapped.json").write_text(
        (superset.settings.home / "superset" / "bootstrapped.json").read_text()
    )
    after_start(broken)
    report = json.loads(status_file(broken).read_text())
    assert report["ok"] is False and "not reachable" in report["error"]
    assert "provisioning failed" in detail(broken)
    assert http_ok(f"{superset.url}/health")


def test_sql_lab_reads_through_the_read_only_account_and_cannot_write(superset):
    with superset.client() as client:
        files = load_bundle()
        from dashboards.provision import database_id

        db_id = database_id(client, files)
        database = client.get(f"/api/v1/database/{db_id}")["result"]
        assert database["expose_in_sqllab"] is True
        assert database["allow_dml"] is False
        connection = client.get(f"/api/v1/database/{db_id}/connection")["result"]
        assert f"//{superset.settings.warehouse_readonly_user}:" in connection["sqlalchemy_uri"]
        ok = client.sql(db_id, "SELECT pattern_id, count_24h FROM pattern_explorer ORDER BY count_24h DESC")
        assert ok.status_code == 200, ok.text
        rows = ok.json()["data"]
        assert len(rows) == superset.seed.patterns
        refused = client.sql(db_id, "INSERT INTO executions (execution_id, status) VALUES ('x', 'error')")
        assert refused.status_code >= 400
        assert "DML" in refused.text or "read" in refused.text.lower()
    count = superset.warehouse_client().query("SELECT count() FROM executions WHERE execution_id = 'x'")
    assert count.result_rows[0][0] == 0


_DIALECT_SCRIPT = r"""
import json, sys
import sqlalchemy as sa
uri, writable = sys.argv[1], sys.argv[2]
engine = sa.create_engine(uri)
out = {}
insp = sa.inspect(engine)
out["tables"] = sorted(insp.get_table_names())
out["views"] = sorted(insp.get_view_names()) if hasattr(insp, "get_view_names") else []
out["columns"] = [c["name"] for c in insp.get_columns("executions")]
with engine.connect() as conn:
    out["failed"] = conn.execute(sa.text("SELECT sum(failed) FROM execution_outcomes")).scalar()
    try:
        conn.execute(sa.text("INSERT INTO executions (execution_id, status) VALUES ('dialect', 'error')"))
        out["write"] = "accepted"
    except Exception as error:
        out["write"] = "refused: " + str(error)[:300]
print(json.dumps(out, default=str))
"""


def test_superset_clickhousedb_dialect_lists_tables_and_queries(superset, tmp_path):
    """The warehouse as Superset's own SQLAlchemy dialect sees it, run in envs/superset/.venv."""
    from dashboards.service import SUPERSET_BIN

    s = superset.settings
    script = tmp_path / "dialect_check.py"
    script.write_text(_DIALECT_SCRIPT)
    uri = (
        f"clickhousedb://{s.warehouse_readonly_user}:{s.warehouse_readonly_password.get_secret_value()}"
        f"@{s.warehouse_host}:{s.warehouse_port}/{superset.database}"
    )
    result = subprocess.run(
        [str(SUPERSET_BIN / "python"), str(script), uri, "0"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for table in ("events_clean", "executions", "patterns", "pattern_status_log", "solutions"):
        assert table in out["tables"] + out["views"], out
    assert "status" in out["columns"]
    assert out["failed"] == superset.seed.failed
    assert out["write"].startswith("refused"), out["write"]


# ---------------------------------------------------------------- browser


def _open_dashboard(page, superset, slug: str, expected_charts: int, timeout_s: float = 120.0):
    """Open a dashboard and wait until every chart shows data or an error; returns (seconds, holders)."""
    responses: list[tuple[int, list]] = []

    def on_response(response):
        if "/api/v1/chart/data" in response.url:
            try:
                body = response.json()
                summary = [(q.get("rowcount"), q.get("error")) for q in body.get("result", [])]
            except Exception:
                summary = [(None, response.status)]
            responses.append((response.status, summary))

    page.on("response", on_response)
    started = time.monotonic()
    page.goto(f"{superset.url}/superset/dashboard/{slug}/")
    holders = page.locator('[data-test="dashboard-component-chart-holder"]')
    deadline = time.monotonic() + timeout_s
    settled = False
    while time.monotonic() < deadline:
        count = holders.count()
        if count >= expected_charts:
            done = page.evaluate(
                """() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')]
                    .every(h => h.querySelector('[role="alert"], .ant-alert-error') ||
                                (h.querySelector('[data-test="chart-container"]') &&
                                 !h.querySelector('.loading, [aria-label="Loading"]') &&
                                 h.querySelector('svg, canvas, table tbody tr, .header-line')))"""
            )
            if done:
                settled = True
                break
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    page.remove_listener("response", on_response)
    assert settled, f"{slug}: charts did not finish rendering within {timeout_s}s"
    return elapsed, holders, responses


def _chart_states(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')].map(h => ({
            title: (h.querySelector('[data-test="editable-title"]') || {}).innerText || '',
            error: !!h.querySelector('[role="alert"], .ant-alert-error'),
            errorText: ((h.querySelector('[role="alert"], .ant-alert-error') || {}).innerText || '')
                .slice(0, 300),
            empty: /No results were returned|No data/i.test(h.innerText),
            marks: h.querySelectorAll('svg path, canvas, table tbody tr, .header-line').length,
        }))"""
    )


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_dashboard_renders_every_chart_with_data(superset, browser, slug):
    page = browser.new_page()
    try:
        login(page, superset)
        expected = _chart_count(slug)
        elapsed, holders, responses = _open_dashboard(page, superset, slug, expected)
        page.wait_for_timeout(1500)  # let ECharts finish its entry animation for the screenshot
        states = _chart_states(page)
        assert len(states) == expected
        errors = [s for s in states if s["error"]]
        assert not errors, f"charts with errors on {slug}: {errors}"
        empty = [s["title"] for s in states if s["empty"] or s["marks"] == 0]
        assert not empty, f"charts without data on {slug}: {empty}"
        failed = [r for r in responses if r[0] != 200 or any(err for _, err in r[1])]
        assert not failed, f"chart data requests failed on {slug}: {failed}"
        assert len(responses) >= expected
        assert all(rows for _, summary in responses for rows, _ in summary), responses
        assert page.locator("text=Time range").first.is_visible()
        for name in ("Project", "Language", "Severity"):
            assert page.get_by_text(name, exact=True).first.is_visible(), f"{name} filter missing on {slug}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
        METRICS[f"render_s[{slug}]"] = round(elapsed, 1)
    finally:
        page.close()


def test_overview_shows_a_new_error_without_reload(superset, browser):
    """Auto-refresh (refresh_frequency 5 s): a new row in the warehouse reaches the open page."""
    from tests.superset.seed import insert_error

    page = browser.new_page()
    try:
        login(page, superset)
        _open_dashboard(page, superset, "global-overview", _chart_count("global-overview"))
        marker = f"LiveCheckError {uuid.uuid4().hex[:10]}"
        assert page.get_by_text(marker).count() == 0
        inserted = time.monotonic()
        insert_error(superset.warehouse_client(), message=marker)
        page.get_by_text(marker).first.wait_for(timeout=60_000)
        METRICS["new_error_visible_s"] = round(time.monotonic() - inserted, 1)
    finally:
        page.close()


def test_selecting_a_pattern_filters_trace_and_fix(superset, browser):
    """Pattern Explorer: clicking a pattern in the table cross-filters the other charts."""
    page = browser.new_page()
    try:
        login(page, superset)
        _open_dashboard(page, superset, "pattern-explorer", _chart_count("pattern-explorer"))
        chosen = superset.seed.pattern_ids[3]
        trace = page.locator('[data-test="dashboard-component-chart-holder"]').filter(has_text="Sample trace")
        assert trace.locator("table tbody tr").count() > 1
        table = page.locator('[data-test="dashboard-component-chart-holder"]').filter(has_text="Patterns")
        table.locator("td", has_text=chosen).first.click()
        deadline = time.monotonic() + 60
        rows: list[str] = []
        while time.monotonic() < deadline:
            rows = trace.locator("table tbody tr").all_inner_texts()
            if len(rows) == 1 and chosen in rows[0]:
                break
            page.wait_for_timeout(250)
        assert len(rows) == 1 and chosen in rows[0], rows
        fix_rows = (
            page.locator('[data-test="dashboard-component-chart-holder"]')
            .filter(has_text="Suggested fix")
            .locator("table tbody tr")
            .all_inner_texts()
        )
        assert fix_rows and all(chosen in r for r in fix_rows), fix_rows
        page.screenshot(path=str(SCREENSHOTS / "pattern-explorer-selected.png"), full_page=True)
    finally:
        page.close()


def test_zz_record_measurements(superset):
    """Not an assertion on time: writes the figures measured by this run next to the bench doc."""
    out = REPO_ROOT / "var" / "bench" / "superset-last-run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = {**superset.timings, **METRICS, "rss_mb_end": superset.rss_mb(), "seed": {
        "executions": superset.seed.executions, "events": superset.seed.events,
        "patterns": superset.seed.patterns}}  # fmt: skip
    out.write_text(json.dumps(figures, indent=2, default=str))
    assert figures["rss_mb_end"] > 0
