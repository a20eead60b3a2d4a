"""The mini-program's resident API (``bot/api/resident.py``): what residents read there, and
its fixed limits. Data only; the per-resident case limits are settings
(``JIESU_RESIDENT_CASES_PER_HOUR`` / ``_PER_DAY`` / ``JIESU_RESIDENT_REQUESTS_PER_MINUTE``)."""

from __future__ import annotations

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_PHOTOS = 9  # per submission or addition, as WeChat's image picker allows
MAX_TEXT = 2000
# Photos a resident may upload in an hour: nine for every case they may report, and as many again
# for additions and photos picked but not sent.
UPLOADS_PER_HOUR = 2 * MAX_PHOTOS * 5
UPLOAD_OVERHEAD_BYTES = 16 * 1024  # multipart boundaries and headers beside the file itself

# Anonymous submissions: the case keeps its resident (they see it in 我的诉求) but carries no
# contact phone; workers see this mark in the title and this note on the timeline.
ANONYMOUS_MARK = "【匿名】"
ANONYMOUS_NOTE = "居民匿名反映：未留联系方式，请勿向居民索要身份信息，办理结果通过平台答复"
CONTACT_NOTE = "联系人：{name}"

# Sign-in
DEMO_CODE_PREFIX = "demo-"  # `jiesu serve --demo` without a mini-program: code demo-<name>
SIGNED_OUT = "已退出登录"

# Errors residents read
NO_TOKEN = "请先登录：在 Authorization 头中提供 Bearer 令牌"
BAD_TOKEN = "登录已过期或已退出，请重新登录"
MINI_NOT_CONFIGURED = (
    "小程序登录尚未配置：请设置 JIESU_MINI_APPID 和 JIESU_MINI_SECRET"
    "（本地试用可用 jiesu serve --demo）"
)
DEMO_CODE_HINT = "演示模式：请用 demo-名字 作为 code（字母、数字、-、_，最多32位）"
INVALID_CODE = "登录凭证无效或已使用，请重新进入小程序登录"
WECHAT_UNAVAILABLE = "微信服务暂时不可用，请稍后再试"
PHONE_UNREADABLE = "无法读取手机号，请重新登录后再授权"
NOT_FOUND = "没有找到这个编号的诉求"
PHOTO_NOT_YOURS = "照片 {key} 不存在或不是您上传的，请重新上传"
CASE_CLOSED = "诉求 {number} 目前{status}，不能再补充。如有新问题，请提交新的诉求"
NOTHING_TO_ADD = "请填写补充内容或选择照片"
# A case must not grow without limit (handlers.intake.case_limits): the API refuses, the words
# stay in the resident's form.
TEXT_TOO_LONG = "文字太长：每次最多{limit}字，请精简后再提交，或分几次补充"
CASE_WORDS_FULL = (
    "诉求 {number} 的补充文字已达上限：还能补充{left}字，这次有{size}字，未能补充。"
    "请精简后再试；如有新情况，请提交新的诉求"
)
CASE_PHOTOS_FULL = "诉求 {number} 的照片已达上限：还能补充{left}张照片，这次选了{size}张，未能补充"
NO_SURVEY = "诉求 {number} 尚未办结，暂时不能评价"
BUSY = "上一次提交还在处理中，请稍后用同一个 request_id 重试"
FAILED = "系统繁忙，您的提交已保存，请稍后用同一个 request_id 重试"
CASES_LIMITED = (
    "您{window}内已提交{limit}件诉求，暂时不能再提交新诉求，请于{until}后再试；"
    "已提交的诉求可在“我的诉求”中查看进度。"
)
TOO_MANY_REQUESTS = "操作太频繁，请{seconds}秒后再试"
TOO_MANY_UPLOADS = "上传照片太频繁，请于{until}后再试"
UPLOAD_TOO_LARGE = "照片不能超过 {limit}，请压缩后再上传"
UPLOAD_WRONG_TYPE = "只能上传 {types} 格式的照片"
UPLOAD_MALFORMED = "请用 multipart/form-data 上传，文件放在名为 file 的字段中"
UPLOAD_EMPTY = "文件是空的，请重新选择照片"
# Hostile uploads (bot.api.resident_photos, handlers.residents.images)
UPLOAD_BROKEN = "上传的内容不完整或格式有误，请重新上传（multipart/form-data，照片放在 file 字段）"
UPLOAD_ONE_FILE = "一次只能上传一张照片：名为 file 的字段只能有一个"
UPLOAD_TOO_MANY_FIELDS = "上传的表单字段太多或太长：只需名为 file 的照片字段"
UPLOAD_UNREADABLE = "照片无法读取（文件不完整或已损坏），请重新选择照片"
UPLOAD_TOO_MANY_PIXELS = "照片像素太多（最多{limit}万像素），请缩小后再上传"
MEDIA_NOT_FOUND = "没有这张照片"
# Questions put to the knowledge base (bot.api.resident_questions)
ASK_NOT_FOUND = "没有找到这个提问"
ASK_NOT_ANSWERED = "这个问题没有自动答复，无需反馈；请直接提交诉求，由工作人员办理"
