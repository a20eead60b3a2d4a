"""What the public, the proposers and the office read about published suggestions, credits and
certificates (人民建议征集, issue 18): data only. The rules are ``handlers.suggestions``."""

from __future__ import annotations

from types import MappingProxyType

OFFICE = "区人民建议征集办公室"
PUBLIC_TITLE = "人民建议征集 · 采纳建议公开"
ANONYMOUS = "匿名"

# The proposer, told once when the suggestion is first published (records.tell).
THANKS = (
    "感谢您的建议！您提出的建议「{title}」（编号 {number}）已被采纳，"
    "并在区人民建议征集专栏公开发布（{credit}）。感谢您为社区发展建言献策！"
)
CREDITED_AS = "署名：{name}"
PUBLISHED_ANONYMOUSLY = "匿名发布，不显示您的个人信息"

# The certificate (感谢信) the office may print or send for an adopted suggestion.
CERTIFICATE_TITLE = "感谢信"
CERTIFICATE_GREETING = "{name}："
CERTIFICATE_DEAR_RESIDENT = "尊敬的市民朋友"
CERTIFICATE_BODY = (
    "您于{received}提出的建议《{title}》（编号 {number}），经{office}研究，"
    "于{adopted}予以采纳，已交{departments}研究落实。"
)
CERTIFICATE_THANKS = "感谢您关心社区发展、积极建言献策！特发此信，以致谢忱。"
NO_DEPARTMENT = "有关部门"

# How a department's answer (SuggestionAdoption.answer_kind) reads in public.
ANSWER_KINDS = MappingProxyType(
    {
        "policy": "纳入政策",
        "project": "列入项目",
        "fix": "已整改落实",
        "not_now": "暂缓实施",
        "": "部门答复",
    }
)

# Common surnames: a surname and a form of address (王先生, 李阿姨) or an introduction (我叫张伟)
# is a person's name, masked in the default published wording. The office reads the wording
# before publishing and may change it: this list catches the usual cases, not every name.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
ADDRESS_WORDS = ("先生", "女士", "小姐", "阿姨", "师傅", "老师", "大爷", "大妈", "奶奶", "爷爷")
INTRODUCTIONS = ("我叫", "我的名字是", "本人", "联系人", "姓名")
