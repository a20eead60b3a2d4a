"""What residents read about their suggestions (人民建议征集, issue 18): data only."""

from __future__ import annotations

RECEIVED = (
    "感谢您的建议！已登记为人民建议，编号 {number}。\n"
    "您的建议将转交区人民建议征集办公室研究，一般在{days}个工作日内告诉您是否采纳；"
    "被采纳的建议会交有关部门研究落实，进展都会告诉您。\n"
    "如果您反映的是需要处理的问题（投诉、求助），请回复「{to_case}」，我们按诉求受理。"
)
TO_CASE_WORD = "转为诉求"
