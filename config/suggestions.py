"""What residents read about their suggestions (人民建议征集, issue 18): data only."""

from __future__ import annotations

RECEIVED = (
    "感谢您的建议！已登记为人民建议，编号 {number}。\n"
    "您的建议将转交区人民建议征集办公室研究，一般在{days}个工作日内告诉您是否采纳；"
    "被采纳的建议会交有关部门研究落实，进展都会告诉您。\n"
    "如果您反映的是需要处理的问题（投诉、求助），请回复「{to_case}」，我们按诉求受理。"
)
TO_CASE_WORD = "转为诉求"

# Consent to publication given in the chat (handlers.suggestions.consent): the words and the
# answers. 「同意公开」, optionally with 「署名 张三」, consents; 「不同意公开」 withdraws.
CONSENT_WORD = "同意公开"
WITHDRAW_WORD = "不同意公开"
CREDIT_WORD = "署名"
MAX_CREDIT_NAME = 20
CONSENT_HINT = (
    "建议被采纳后，如同意在区人民建议征集专栏匿名公开（隐去电话、门牌号等个人信息），"
    "请回复「{consent}」；希望署名请回复「同意公开 署名 您的称呼」。"
)
ADOPTED_CONSENT_HINT = (
    "\n如同意在区人民建议征集专栏匿名公开这条建议（隐去电话、门牌号等个人信息），"
    "请回复「同意公开」；希望署名请回复「同意公开 署名 您的称呼」；可随时回复「不同意公开」撤回。"
)
CONSENTED = (
    "已记录：您同意公开建议 {number}「{title}」（{credit}）。{when}"
    "电话、门牌号等个人信息不会公开。如改变主意，请回复「{withdraw}」。"
)
CONSENT_CREDITED = "署名：{name}"
CONSENT_ANONYMOUS = "匿名"
CONSENT_WHEN_ADOPTED = "区人民建议征集办公室可将其在专栏公开发布，"
CONSENT_WHEN_OPEN = "建议被采纳后，区人民建议征集办公室可将其在专栏公开发布，"
WITHDRAWN = "已撤回：建议 {number}「{title}」不会公开发布。"
WITHDRAWN_UNPUBLISHED = "已撤回：建议 {number}「{title}」已从区人民建议征集专栏撤下，不再公开。"
WITHDRAW_REASON = "建议人撤回公开同意"
NOTHING_TO_CONSENT = (
    "您没有可以公开的建议：只有正在研究或已采纳的建议可以同意公开。如需提建议，请直接写下您的建议。"
)
CANNOT_CONSENT = "建议 {number} 当前为{status}，不能公开。"
BAD_CREDIT_NAME = (
    f"署名请用1至{MAX_CREDIT_NAME}个字的称呼，不含数字，例如「同意公开 署名 张三」；"
    "这次回复没有记录同意，请重新回复。"
)
