"""知识库 on the dashboard: add an entry, publish it, see it answer the 试一试 box, its versions;
a unit's account cannot publish; the import's upload, preview and confirm."""

from __future__ import annotations

from aiohttp import FormData

from handlers.staff.accounts import create_user
from models import EntryStatus, KnowledgeEntry, Unit
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_district_pages import confirm_form
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, sign_in

FORM = {
    "question": "高龄津贴怎么申请",
    "variants": "八十岁以上老人补贴去哪里申领\n高龄老人营养补贴办理流程",
    "answer": "年满80周岁的本区户籍老人到社区事务受理中心申请。",
    "links": "办事指南|https://example.gov.cn/a",
    "unit": "CIVIL",
    "policy": "高龄老人营养补贴办法",
    "category": "民政/养老",
    "valid_from": "2026-01-01",
    "valid_until": "",
    "scope": "district",
    "street": "",
    "compound": "",
    "mini_page": "",
}
CSV = "question,answer,scope,street\n大件垃圾怎么预约上门清运,每周二上门收运。,street,五角场街道\n"


async def test_add_publish_and_try_an_entry(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    await Unit.create(code="CIVIL", name="区民政局")
    browser = await admin(client)
    status, page = await browser.get("/dashboard/knowledge")
    assert status == 200 and 'id="knowledge-entries"' in page and "知识库" in page
    status, page = await browser.get("/dashboard/knowledge/new")
    assert status == 200 and 'id="entry-form"' in page
    status, location, text = await browser.post("/dashboard/knowledge", FORM)
    assert status == 303, text
    entry = await KnowledgeEntry.get(question="高龄津贴怎么申请")
    assert location == f"/dashboard/knowledge/{entry.id}?saved=created"
    assert entry.status == EntryStatus.DRAFT and entry.variants[1] == "高龄老人营养补贴办理流程"

    status, page = await browser.get(location)
    assert status == 200 and 'data-status="draft"' in page and 'id="publish-entry"' in page
    status, location, _ = await browser.post(
        f"/dashboard/knowledge/{entry.id}/publish", {"version": "1"}
    )
    assert status == 303 and location.endswith("saved=published")
    status, page = await browser.get(location)
    assert 'data-status="published"' in page and 'data-version="2"' in page

    status, page = await browser.get("/dashboard/knowledge?try=我妈八十岁了高龄补贴怎么申请")
    assert status == 200 and f'data-entry="{entry.code}"' in page, page

    # An edit on an old version is refused, the form kept.
    changed = {**FORM, "answer": "改过的答复", "version": "1"}
    status, _, page = await browser.post(f"/dashboard/knowledge/{entry.id}", changed)
    assert status == 409 and "改过的答复" in page
    status, location, _ = await browser.post(
        f"/dashboard/knowledge/{entry.id}", {**changed, "version": "2"}
    )
    assert status == 303 and location.endswith("saved=saved")
    status, page = await browser.get("/dashboard/knowledge?status=published&q=高龄")
    assert f'data-entry="{entry.code}"' in page


async def test_a_unit_writes_drafts_only(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    civil = await Unit.create(code="CIVIL", name="区民政局")
    await create_user("clerk", "unit", PASSWORD, NOW, unit_id=civil.id)
    browser = await sign_in(client, "clerk")
    status, location, text = await browser.post("/dashboard/knowledge", FORM)
    assert status == 303, text
    entry = await KnowledgeEntry.get(question="高龄津贴怎么申请")
    status, page = await browser.get(location)
    assert 'id="publish-entry"' not in page and 'id="save-entry"' in page
    status, _, _ = await browser.post(f"/dashboard/knowledge/{entry.id}/publish", {})
    assert status == 403
    status, page = await browser.get("/dashboard/knowledge/import")
    assert status == 403
    assert (await KnowledgeEntry.get(id=entry.id)).status == EntryStatus.DRAFT


async def test_import_upload_preview_confirm(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    browser = await admin(client)
    status, page = await browser.get("/dashboard/knowledge/import")
    assert status == 200 and 'enctype="multipart/form-data"' in page

    def upload() -> FormData:
        form = FormData()
        form.add_field("csrf_token", browser.csrf)
        form.add_field("file", CSV.encode(), filename="kb.csv", content_type="text/csv")
        return form

    response = await client.post("/dashboard/knowledge/import", data=upload())
    page = await response.text()
    assert response.status == 200 and 'data-add="1"' in page, page
    assert not await KnowledgeEntry.exists()
    response = await client.post(
        "/dashboard/knowledge/import", data=confirm_form(page), allow_redirects=False
    )
    assert response.status == 303, await response.text()
    assert (await KnowledgeEntry.get()).street == "五角场街道"
    response = await client.post("/dashboard/knowledge/import", data=upload())
    page = await response.text()
    assert 'data-add="0" data-change="0" data-same="1"' in page and "确认导入" not in page
