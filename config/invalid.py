"""不予受理: the reasons staff may give for closing a case as no case, and what residents are told.

Data only. Each reason is a code (stored in ``Case.invalid_reason`` and the audit trail), the
label staff choose from, and the words the resident reads: neutral, never an accusation (a case
closed for 恶意骚扰 is told that its content is not something the service handles).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InvalidReason:
    code: str
    label: str  # what staff choose from
    told: str  # what the resident reads after "原因："
    needs_note: bool = False


INVALID_REASONS: tuple[InvalidReason, ...] = (
    InvalidReason("duplicate", "重复", "与您已提交的诉求内容重复，将在原诉求中一并办理"),
    InvalidReason("no_content", "无实质内容", "留言未包含需要办理的具体事项"),
    InvalidReason("out_of_scope", "不属于受理范围", "所反映事项不属于本平台受理范围"),
    InvalidReason("handled_elsewhere", "已通过其他渠道处理", "该事项已通过其他渠道受理办理"),
    InvalidReason("harassment", "恶意骚扰", "留言内容不符合受理要求"),
    InvalidReason("other", "其他", "经核实不符合受理条件", needs_note=True),
)
REASONS_BY_CODE: dict[str, InvalidReason] = {reason.code: reason for reason in INVALID_REASONS}
# Not chosen from the list: a case the centre turned into a suggestion (人民建议, issue 18) is
# closed with this reason by the conversion itself, so that it leaves the rates and is counted
# apart in 无效件数, by its own name.
TO_SUGGESTION = InvalidReason("to_suggestion", "转为人民建议", "已转为人民建议")
ALL_REASONS_BY_CODE: dict[str, InvalidReason] = {
    **REASONS_BY_CODE,
    TO_SUGGESTION.code: TO_SUGGESTION,
}

# The longest note staff may add (the dashboard's field and the API body alike).
MAX_NOTE = 500

RESIDENT_NOTICE = (
    "您的留言（编号{number}）经核实不作为诉求受理，原因：{reason}。如有需要可重新留言。"
)
WORKER_NOTICE = "诉求 {number} 已不予受理（{reason}），无需继续办理。"
RESTORED_NOTICE = "您的留言（编号{number}）经复核恢复受理，我们会尽快安排办理。"

UNKNOWN_REASON = "请从列表中选择不予受理的原因"
NOTE_REQUIRED = "选择“其他”时请填写说明"
NOTE_TOO_LONG = f"说明不能超过{MAX_NOTE}字"
RESTORE_REASON_REQUIRED = "请填写恢复受理的原因"
