"""组织架构 on the dashboard: the forms, the import (upload, preview, confirm; a changed file is
refused) and the overview's setup checklist, shown until the district is complete."""

from __future__ import annotations

import html
import json
import re

from aiohttp import FormData

from models import AuditEvent, Grid, RoutingRule, Unit, Worker
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser, admin, sign_in

UNITS = "code,name,kind,parent\nJW-1,一居委,station,ST-1\nST-1,一街道办事处,street,\n"
WORKERS = "name,role,unit,grids,phone,wecom_userid\n李华,grid_worker,ST-1,G-1,139,lihua\n"
GRIDS = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "G-1", "name": "一网格", "street": "一街道", "unit": "ST-1"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                },
            }
        ],
    }
)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def upload(browser: Browser, files: dict[str, str], *, csrf: bool = True) -> FormData:
    form = FormData()
    if csrf:
        form.add_field("csrf_token", browser.csrf)
    for name, content in files.items():
        form.add_field("files", content.encode(), filename=name, content_type="text/csv")
    return form


def confirm_form(page: str, change: dict[str, str] | None = None) -> FormData:
    """The preview's confirm form as the browser sends it (optionally with a file swapped)."""
    start = page.index('id="import-confirm"')
    form = FormData(default_to_multipart=True)  # the form's enctype
    for name, value in HIDDEN.findall(page[start:]):
        value = html.unescape(value)
        if change and name.removeprefix("file:") in change:
            import base64

            value = base64.b64encode(change[name.removeprefix("file:")].encode()).decode()
        form.add_field(name, value)
    return form


async def test_upload_preview_confirm_and_the_checklist_goes(make_client: ClientFactory) -> None:
    # An official account that sends for real (to a fake address: nothing is sent here).
    client = await make_client(demo=False, outbound_mode="wechat")
    browser = await admin(client)
    status, page = await browser.get("/dashboard/")
    assert status == 200 and 'id="setup-checklist"' in page
    assert 'data-step="units" data-done="0"' in page
    assert 'data-step="account" data-done="1"' in page

    status, page = await browser.get("/dashboard/district/import")
    assert status == 200 and 'enctype="multipart/form-data"' in page
    files = {"units.csv": UNITS, "workers.csv": WORKERS, "grids.geojson": GRIDS}
    response = await client.post("/dashboard/district/import", data=upload(browser, files))
    page = await response.text()
    assert response.status == 200, page
    assert 'data-add="4" data-change="0" data-same="0"' in page and "确认导入" in page
    assert not await Unit.exists()  # a preview writes nothing

    response = await client.post(
        "/dashboard/district/import", data=confirm_form(page), allow_redirects=False
    )
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/dashboard/district?saved=imported"
    assert await Unit.filter(code__in=["ST-1", "JW-1"]).count() == 2
    assert (await AuditEvent.get(action="district.import")).via == "dashboard"

    # The same files again: nothing to add or change, no confirm button.
    response = await client.post("/dashboard/district/import", data=upload(browser, files))
    page = await response.text()
    assert 'data-add="0" data-change="0" data-same="4"' in page and "确认导入" not in page

    status, page = await browser.get("/dashboard/")
    assert 'data-step="units" data-done="1"' in page and 'data-step="routing" data-done="0"' in page
    await RoutingRule.create(priority=1, category_prefix="", note="all")
    status, page = await browser.get("/dashboard/")
    assert status == 200 and 'id="setup-checklist"' not in page  # every step done


async def test_a_file_changed_after_the_preview_is_refused(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    browser = await admin(client)
    response = await client.post(
        "/dashboard/district/import", data=upload(browser, {"units.csv": UNITS})
    )
    page = await response.text()
    swapped = confirm_form(page, {"units.csv": UNITS + "ST-9,九街道,street,\n"})
    response = await client.post("/dashboard/district/import", data=swapped)
    assert response.status == 409 and "与预览时不同" in await response.text()
    assert not await Unit.exists()


async def test_bad_uploads_are_refused(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    browser = await admin(client)
    bad = UNITS + "ST-2,二街道,street,NOPE\n"
    response = await client.post(
        "/dashboard/district/import", data=upload(browser, {"units.csv": bad})
    )
    page = await response.text()
    assert response.status == 400 and "units.csv 第 4 行：没有上级单位 NOPE" in page
    response = await client.post(
        "/dashboard/district/import", data=upload(browser, {"units.csv": UNITS}, csrf=False)
    )
    assert response.status == 403
    huge = {"units.csv": UNITS + "x" * (9 * 1024 * 1024)}
    response = await client.post("/dashboard/district/import", data=upload(browser, huge))
    assert response.status == 413
    response = await client.post(
        "/dashboard/district/import", data={"csrf_token": browser.csrf}, allow_redirects=False
    )
    assert response.status == 400
    assert not await Unit.exists()
    # Nobody signed in: to the sign-in page.
    client.session.cookie_jar.clear()
    response = await client.post(
        "/dashboard/district/import",
        data=upload(browser, {"units.csv": UNITS}),
        allow_redirects=False,
    )
    assert response.status == 303 and "/dashboard/login" in response.headers["Location"]


async def test_the_forms_edit_units_grids_and_workers(make_client: ClientFactory) -> None:
    client = await make_client()
    browser = await admin(client)
    status, page = await browser.get("/dashboard/district")
    assert status == 200 and 'data-unit="ST-WJC"' in page and 'data-grid="WJC-01"' in page
    assert "组织架构" in page and 'id="unit-form"' in page
    status, location, text = await browser.post(
        "/dashboard/district/units",
        {"code": "JW-GQ", "name": "国权居委", "kind": "station", "parent": "ST-WJC", "active": "1"},
    )
    assert status == 303 and location.endswith("saved=unit"), text
    assert (await Unit.get(code="JW-GQ")).kind == "station"
    status, _, text = await browser.post(
        "/dashboard/district/units",
        {"code": "ST-WJC", "name": "x", "kind": "street", "parent": "JW-GQ"},
    )
    assert status == 400 and "循环" in text
    assert (await Unit.get(code="ST-WJC")).parent_id is None
    status, _, text = await browser.post(
        "/dashboard/district/grids",
        {"code": "GQ-1", "name": "国权网格", "street": "五角场街道", "boundary": "[[0,0],[1,0]]"},
    )
    assert status == 400 and "至少要有 4 个坐标" in text and not await Grid.exists(code="GQ-1")
    wang = await Worker.get(wecom_userid="wangfang")
    status, page = await browser.get(f"/dashboard/district?worker={wang.id}")
    assert f'name="id" value="{wang.id}"' in page
    status, location, _ = await browser.post(
        "/dashboard/district/workers",
        {
            "id": str(wang.id),
            "name": "王芳",
            "role": "grid_worker",
            "unit": "ST-WJC",
            "grids": "WJC-01|WJC-02",
            "phone": "13800000101",
            "wecom_userid": "wangfang",
            "openid": "o-wangfang",
        },
    )
    assert status == 303
    await wang.refresh_from_db()
    assert wang.openid == "o-wangfang" and not wang.active  # the box was left unticked
    assert await AuditEvent.filter(action="worker.save", via="dashboard").exists()


async def test_a_dispatcher_reads_but_may_not_edit(make_client: ClientFactory) -> None:
    from handlers.staff.accounts import create_user

    client = await make_client()
    await create_user("disp", "dispatcher", PASSWORD, NOW)
    browser = await sign_in(client, "disp")
    status, page = await browser.get("/dashboard/district")
    assert status == 200 and 'id="unit-form"' not in page and "组织架构" in page
    status, _, _ = await browser.post("/dashboard/district/units", {"code": "X", "name": "x"})
    assert status == 403 and not await Unit.exists(code="X")
    response = await client.post(
        "/dashboard/district/import", data=upload(browser, {"units.csv": UNITS})
    )
    assert response.status == 403 and not await Unit.exists(code="ST-1")
