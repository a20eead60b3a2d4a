"""Open311 GeoReport v2: our service codes, the texts clients show, and the limits we enforce.

Every taxonomy path (``"一级/二级"``, :mod:`config.taxonomy`) is one GeoReport service. Its
``service_code`` is the pinyin initials of the two levels, ``cxjs-wygl`` for 城乡建设/物业管理.
Codes are written out below rather than computed, because clients store them: renaming a
category must not change its code, and a new category needs a new line here (a test checks that
every path has exactly one code and no two paths share one). When the list changes, move
:data:`CHANGESET` so that clients refresh what they cached.
"""

from __future__ import annotations

from datetime import timedelta

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Sortable: the last change of the service list or definitions (Service Discovery "changeset").
CHANGESET = "2026-12-08 00:00"
PATH_PREFIX = "/open311/v2"

SERVICE_CODES: dict[str, str] = {
    "城乡建设/物业管理": "cxjs-wygl",
    "城乡建设/市政设施": "cxjs-szss",
    "城乡建设/供水供电供气": "cxjs-gsgdgq",
    "城乡建设/房屋安全": "cxjs-fwaq",
    "城乡建设/住房保障": "cxjs-zfbz",
    "城乡建设/违章建筑": "cxjs-wzjz",
    "城乡建设/城乡规划": "cxjs-cxgh",
    "城乡建设/房地产开发": "cxjs-fdckf",
    "城乡建设/拆迁安置": "cxjs-cqaz",
    "城乡建设/建筑施工": "cxjs-jzsg",
    "城乡建设/城管执法": "cxjs-cgzf",
    "城乡建设/安全生产": "cxjs-aqsc",
    "城乡建设/环境卫生": "cxjs-hjws",
    "城乡建设/公交地铁": "cxjs-gjdt",
    "城乡建设/其他": "cxjs-qt",
    "环境保护/噪声污染": "hjbh-zswr",
    "环境保护/市容环卫": "hjbh-srhw",
    "环境保护/大气水污染": "hjbh-dqswr",
    "环境保护/生态保护": "hjbh-stbh",
    "环境保护/环评与辐射": "hjbh-hpyfs",
    "交通运输/停车管理": "jtys-tcgl",
    "交通运输/公共交通": "jtys-ggjt",
    "交通运输/道路交通": "jtys-dljt",
    "交通运输/出租车网约车": "jtys-czcwyc",
    "交通运输/客货运输": "jtys-khys",
    "交通运输/邮政快递": "jtys-yzkd",
    "教育文体/学校教育": "jywt-xxjy",
    "教育文体/教育收费": "jywt-jysf",
    "教育文体/教师队伍": "jywt-jsdw",
    "教育文体/考试招生": "jywt-kszs",
    "教育文体/校外培训": "jywt-xwpx",
    "教育文体/文化体育": "jywt-whty",
    "劳动和社会保障/劳动权益": "ldhshbz-ldqy",
    "劳动和社会保障/社会保险": "ldhshbz-shbx",
    "劳动和社会保障/退休待遇": "ldhshbz-txdy",
    "劳动和社会保障/就业创业": "ldhshbz-jycy",
    "劳动和社会保障/人事人才": "ldhshbz-rsrc",
    "商贸旅游/市场监管": "smly-scjg",
    "商贸旅游/食品安全": "smly-spaq",
    "商贸旅游/商业贸易": "smly-symy",
    "商贸旅游/旅游管理": "smly-lygl",
    "商贸旅游/质量技术监督": "smly-zljsjd",
    "卫生计生/医疗服务": "wsjs-ylfw",
    "卫生计生/医患纠纷": "wsjs-yhjf",
    "卫生计生/医政药品": "wsjs-yzyp",
    "卫生计生/公共卫生": "wsjs-ggws",
    "卫生计生/人口计生": "wsjs-rkjs",
    "农村农业/农业生产": "ncny-nysc",
    "农村农业/土地承包": "ncny-tdcb",
    "农村农业/村务管理": "ncny-cwgl",
    "农村农业/水利林业": "ncny-slly",
    "农村农业/动物防疫": "ncny-dwfy",
    "农村农业/扶贫与乡村振兴": "ncny-fpyxczx",
    "民政/养老服务": "mz-ylfw",
    "民政/社会救助": "mz-shjz",
    "民政/残疾人与福利": "mz-cjryfl",
    "民政/婚姻殡葬": "mz-hybz",
    "民政/社区建设": "mz-sqjs",
    "民政/优抚安置": "mz-yfaz",
    "政法/治安": "zf-za",
    "政法/户籍证件": "zf-hjzj",
    "政法/交通管理": "zf-jtgl",
    "政法/法律服务": "zf-flfw",
    "党务政务/政务服务": "dwzw-zwfw",
    "党务政务/党的建设": "dwzw-ddjs",
    "党务政务/宣传与民族宗教": "dwzw-xcymzzj",
    "党务政务/政策与信息公开": "dwzw-zcyxxgk",
    "经济管理/金融服务": "jjgl-jrfw",
    "经济管理/财政税收": "jjgl-czss",
    "经济管理/企业与国资": "jjgl-qyygz",
    "经济管理/能源与物价": "jjgl-nyywj",
    "国土资源/土地管理": "gtzy-tdgl",
    "国土资源/矿产资源": "gtzy-kczy",
    "国土资源/地质气象": "gtzy-dzqx",
    "纪检监察/贪污贿赂": "jjjc-twhl",
    "纪检监察/干部作风": "jjjc-gbzf",
    "纪检监察/滥用职权": "jjjc-lyzq",
    "科技与信息产业/通信网络": "kjyxxcy-txwl",
    "科技与信息产业/信息化服务": "kjyxxcy-xxhfw",
    "科技与信息产业/科技创新": "kjyxxcy-kjcx",
}

# People's suggestions (人民建议征集, issue 18): one service beside the taxonomy's. Its requests
# become suggestions for the suggestion office, numbered JY…, not cases.
SUGGESTION_SERVICE_CODE = "suggestion"
SUGGESTION_SERVICE = {
    "service_name": "人民建议",
    "group": "人民建议征集",
    "description": "对本区发展和治理的意见建议（不是需要处理的问题）：交区人民建议征集办公室研究，"
    "被采纳的建议交有关部门落实。例如：增设公交站点、社区为老服务、公共空间改造。",
    "keywords": "建议, 意见, 金点子, 人民建议征集",
}
SUGGESTION_AGENCY = "区人民建议征集办公室"
SUGGESTION_NOTICE = "交区人民建议征集办公室研究，{deadline}前答复是否采纳。"
SUGGESTION_NOTE_MERGED = "与建议 {original} 相似，已合并研究。"
SUGGESTION_NOTE_CONVERTED = "已转为诉求 {case} 办理。"

# What a service says about itself (residents read these in the client's app).
SERVICE_DESCRIPTION = "{group}类诉求：{name}。例如：{examples}。"
SERVICE_EXAMPLES = 6  # cue words quoted in the description
SERVICE_KEYWORDS = 12  # cue words listed in "keywords"

# Discovery (read by developers).
DISCOVERY_CONTACT = (
    "jiesu (接诉即办) GeoReport v2 endpoint of the district's resident-feedback service; "
    "ask the district's city operations centre (区城市运行管理中心) for help."
)
DISCOVERY_KEY_SERVICE = (
    "API keys are issued by the service's administrators (`jiesu open311 add NAME`); "
    "ask the district's city operations centre for one."
)
FORMATS = ("text/xml", "application/json")

# What a request says about itself (residents read these).
NOTICE_ROUTED = "由{unit}办理，{deadline}前办结。"
NOTICE_QUEUED = "待区城市运行管理中心分派，{deadline}前办结。"
NOTICE_MERGED = "与诉求 {original} 为同一问题，已并案办理，办理结果以该诉求为准。"
NOTE_CANCELLED = "诉求已撤销。"
NOTE_MERGED = "与诉求 {original} 为同一问题，并案办理。"

# Limits on what a client may send (the GeoReport spec limits description to 4,000 characters).
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 255
MAX_ADDRESS_ID = 32
MAX_NAME = 64
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_IDENTIFIER = 64  # device_id, account_id
MAX_MEDIA_URL = 1024
MAX_SHORT_FIELD = 255  # service_code, jurisdiction_id, api_key

# GET requests: the spec's defaults.
QUERY_SPAN = timedelta(days=90)
QUERY_LIMIT = 1000
