"""What residents and staff read about the suggestion office's work (人民建议征集, issue 18):
screening, the departments' answers, conversion to and from cases. Data only."""

from __future__ import annotations

# The longest texts staff may write (API bodies and dashboard forms alike).
MAX_REASON = 500  # a question, a reason, a note
MAX_ANSWER = 2000  # a department's answer, the 落地 result, a 批示
MAX_REFERENCE = 64  # the city's reference of a forwarded suggestion
MAX_UNITS = 10  # departments one adoption goes to
MAX_ATTACHMENTS = 10
MAX_ADDED = 1000  # what a resident adds to a suggestion at once

# What a department's answer says the suggestion was adopted into.
ANSWER_KINDS: dict[str, str] = {
    "policy": "纳入政策",
    "project": "纳入项目",
    "fix": "立即整改",
    "not_now": "暂不实施",
}

# Told to the proposer, one message per step.
ASKED = (
    "您的建议（编号{number}）需要补充情况：{question}\n"
    "请在48小时内直接回复补充内容；也可以在小程序的建议详情页补充。"
)
MORE_ADDED = "已将您补充的内容加入建议 {number}，建议征集办公室将继续研究。"
MERGED = (
    "您的建议（编号{number}）与其他居民提出的相同建议合并办理，合并后的编号为 {target}，"
    "后续进展将一并告诉您。感谢您的建议！"
)
DECLINED = "您的建议（编号{number}）经研究不予采纳，原因：{reason}。感谢您对本区工作的关心和支持！"
RECONSIDERED = "您的建议（编号{number}）将重新研究，结果会告诉您。"
ADOPTED = (
    "您的建议（编号{number}）已被采纳，已交{units}研究落实，"
    "一般在{days}个工作日内答复，进展会告诉您。感谢您的建议！"
)
FORWARDED = "您的建议（编号{number}）已报送市级有关部门研究，进展会告诉您。"
INSTRUCTED = "您的建议（编号{number}）得到了领导批示，有关部门正在推进落实。"
ANSWERED_HEAD = "您的建议（编号{number}）有关部门已答复："
ANSWER_LINE = "{unit}（{kind}）：{answer}"
ANSWER_DATE = "，{date}起实施"
IMPLEMENTED = "您的建议（编号{number}）已落地：{result}\n感谢您为本区发展建言献策！"
TO_CASE = "您的建议（编号{number}）经核实属于需要办理的事项，已转为诉求受理，诉求编号 {case}。"
TO_CASE_CHAT = "已将建议 {number} 转为诉求办理。\n{reply}"
FROM_CASE = (
    "您的留言（编号{case}）属于意见建议，已转为人民建议，编号 {number}，"
    "由区人民建议征集办公室研究，一般在{days}个工作日内告诉您是否采纳。"
)
NOTHING_TO_CONVERT = "没有可以转为诉求的建议。如需反映问题，请直接描述问题和地点。"
CANNOT_CONVERT = (
    "建议 {number} 当前为{status}，不能再转为诉求。如需反映问题，请直接描述问题和地点。"
)
NO_PROPOSER = "这条建议没有提出人（由工作人员录入），不能转为诉求，请另行登记诉求"

# What staff read when a step is refused.
NO_PERMISSION = "您的账号没有此项权限"
NOT_FOUND = "没有这个编号的建议，或不在您的账号可查看的范围内"
CHANGED_MEANWHILE = "这条建议刚被他人处理，请刷新后重试"
ILLEGAL_STEP = "建议当前为{status}，不能{action}"
ILLEGAL_GENERIC = "建议当前的状态不能进行这一步，请刷新后查看"
NEED_QUESTION = "请填写需要居民补充的内容"
NEED_REASON = "请填写不予采纳的原因"
NEED_RESULT = "请填写落地情况"
NEED_INSTRUCTION = "请填写批示内容"
NEED_ANSWER = "请填写答复内容"
NEED_ADDITION = "请填写补充内容"
TOO_LONG = "{what}不能超过{limit}字"
NEED_UNITS = "请选择至少一个部门"
TOO_MANY_UNITS = f"一次最多交{MAX_UNITS}个部门"
UNKNOWN_UNIT = "没有这个部门：{code}"
ALREADY_ADOPTED = "建议已交{unit}，不能重复交办"
MERGE_SELF = "不能合并到建议本身"
MERGE_TARGET_GONE = "没有编号为 {target} 的建议"
MERGE_TARGET_CLOSED = "建议 {target} 当前为{status}，不能并入；请选择仍在办理的建议"
ALREADY_FORWARDED = "这条建议已于{at}报送市级"
UNKNOWN_KIND = "答复类型须为：" + "、".join(f"{k}（{v}）" for k, v in ANSWER_KINDS.items())
NOT_ADOPTED_FOR = "这条建议没有交给这个部门"
ALREADY_ANSWERED = "该部门已答复过这条建议"
NOT_YOUR_UNIT = "只能答复交给本部门的建议"
BAD_ATTACHMENT = "附件须为网址（http/https）或本系统上传文件的 /media/ 地址：{what}"
TOO_MANY_ATTACHMENTS = f"附件最多{MAX_ATTACHMENTS}个"
UNIT_TASK = (
    "人民建议交办：建议 {number}「{title}」已交本部门研究，请于{due}前在系统中答复"
    "（纳入政策、纳入项目、立即整改，或暂不实施的理由）。"
)
CASE_CHANGED = "诉求刚被他人更新，请刷新后重试"
CASE_NOT_OPEN = "诉求当前为{status}，不能转为人民建议"

# Timeline: what each action of a suggestion is called (staff read it).
ACTION_LABELS: dict[str, str] = {
    "receive": "收到建议",
    "ask": "请居民补充",
    "add_info": "居民补充",
    "merge": "合并",
    "merged_in": "并入建议",
    "decline": "不予采纳",
    "reconsider": "重新研究",
    "adopt": "采纳交办",
    "forward": "报送市级",
    "instruct": "领导批示",
    "answer": "部门答复",
    "answered": "部门均已答复",
    "implement": "落地",
    "to_case": "转为诉求",
    "from_case": "由诉求转来",
    "consent": "建议人同意公开",
    "consent_withdrawn": "建议人撤回公开同意",
    "publish": "公开发布",
    "unpublish": "撤下公开",
}
