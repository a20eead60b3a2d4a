"""What people read when they link their WeChat or WeCom account, and the links' limits."""

from __future__ import annotations

from datetime import timedelta

# How long a link (its QR code and its chat code) may be used.
LINK_LIFETIME = timedelta(hours=24)
# Scenes of our link QR codes start with this (WeChat allows 64 characters in a string scene).
SCENE_PREFIX = "jslink_"
# Chat codes: unambiguous letters and digits (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# Words that start a chat code: "绑定 ABCD2345".
CODE_WORDS = ("绑定", "綁定", "bind")
# Wrong codes one WeChat user may send in an hour before further tries are refused.
MAX_FAILED_TRIES_PER_HOUR = 5

TARGET_WORDS = {"worker": "工作人员", "staff": "后台账号"}

LINKED = "绑定成功：您的微信已绑定为{what}「{name}」。{after}"
LINKED_AFTER_WORKER = "今后交办给您的诉求和通知会发到这个微信。"
LINKED_AFTER_STAFF = "群发通知的“预览给自己”会发到这个微信。"
ALREADY_LINKED = "您的微信已绑定为{what}「{name}」，无需重复操作。"
UNKNOWN = "没有找到这个绑定码，请核对后重新发送，或请管理员重新生成。"
USED = "这个绑定码已被使用。如需重新绑定，请联系管理员重新生成。"
EXPIRED = "这个绑定码已过期或已作废，请联系管理员重新生成。"
TAKEN = "您的微信已绑定到另一个账号（{name}），未作更改。如需更换，请联系管理员。"
TOO_MANY_TRIES = "绑定码输错次数过多，请一小时后再试，或联系管理员。"
GONE = "要绑定的账号已停用，请联系管理员。"

# What a staff member sees beside the QR code.
HOW_TO = "请用微信扫描二维码（需关注本公众号），或在公众号对话框发送：绑定 {code}"
NO_QR_SANDBOX = "沙盒模式不调用微信接口，没有二维码；请在公众号对话框发送绑定码。"
NO_QR_FAILED = "生成二维码失败（{error}）；可改为在公众号对话框发送绑定码。"
