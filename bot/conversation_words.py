"""The words of the official account's dialogue that need no database: commands normalised,
lookups recognised, replies to chatter, and the 'same case or a new one?' choice (its
question with tappable options, and reading the answer)."""

from __future__ import annotations

import re

from config import replies
from handlers.case_numbers import find_case_number
from models import Case
from nlu.language import detect_language

_PUNCTUATION = re.compile(r"[\s，。！？,.!?、；;：:“”\"'（）()【】\[\]]+")


def normalise_command(text: str) -> str:
    return _PUNCTUATION.sub("", text).lower()


def is_lookup(text: str) -> bool:
    """Words that only read the resident's own cases (我的诉求, 帮助, a case number)."""
    command = normalise_command(text)
    if command in replies.MY_CASES_WORDS or command in replies.HELP_WORDS:
        return True
    number = find_case_number(command)
    return bool(number) and command in (number, f"查询{number}", f"查{number}", f"编号{number}")


def chatter_reply(kind: str, text: str) -> str:
    """What the service can do, for a message that is no report (nlu.chatter)."""
    language = detect_language(text)
    if language != "zh" and kind in ("greeting", "test", "thanks", "emoji"):
        return replies.FOREIGN_HELLO.get(language, replies.FOREIGN_HELLO["en"])
    if kind == "filler":
        return replies.CHATTER_FILLER
    if kind == "test":
        return replies.CHATTER_TEST
    if kind == "ad":
        return replies.CHATTER_AD
    if kind == "thanks":
        return replies.YOU_ARE_WELCOME
    return replies.CHATTER_GREETING.format(service=replies.SERVICE_NAME)


def choice_menu_id(case: Case, choice: str) -> str:
    return f"{replies.CHOOSE_MENU_PREFIX}:{case.id}:{choice}"


def choice_question(case: Case) -> str:
    """Ask whether a follow-up joins ``case`` or is a new problem; both options can be tapped."""
    join = replies.CHOOSE_JOIN_LABEL.format(number=case.number)
    link = replies.CHOOSE_LINK
    return replies.CHOOSE_CASE.format(
        number=case.number,
        title=case.title[:20],
        join_link=link.format(label=join, menu_id=choice_menu_id(case, "join")),
        new_link=link.format(label=replies.CHOOSE_NEW_LABEL, menu_id=choice_menu_id(case, "new")),
    )


def read_choice(text: str, menu: str | None, case: Case) -> str | None:
    """ "join" or "new" from a tapped option or typed words; None if it is neither."""
    for choice in ("join", "new"):
        if menu == choice_menu_id(case, choice):
            return choice
    command = normalise_command(text)
    if command in replies.CHOOSE_JOIN_WORDS or command == normalise_command(
        replies.CHOOSE_JOIN_LABEL.format(number=case.number)
    ):
        return "join"
    if command in replies.CHOOSE_NEW_WORDS:
        return "new"
    return None
