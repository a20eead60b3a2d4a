"""The status machine allows the closed loop and refuses everything else, saying what is allowed."""

from __future__ import annotations

import pytest

from models.case_status import (
    OPEN_STATUSES,
    TRANSITIONS,
    CaseAction,
    CaseStatus,
    IllegalTransition,
    allowed_actions,
    next_status,
)

A, S = CaseAction, CaseStatus

MAIN_LINE = [
    (A.DISPATCH, S.DISPATCHED),
    (A.SIGN, S.SIGNED),
    (A.CONTACT, S.CONTACTED),
    (A.PROGRESS, S.IN_PROGRESS),
    (A.FINISH, S.COMPLETED),
    (A.VISIT, S.VISITED),
    (A.ARCHIVE, S.ARCHIVED),
]


def test_the_closed_loop() -> None:
    status = S.ACCEPTED
    for action, expected in MAIN_LINE:
        status = next_status(status, action)
        assert status is expected


def test_return_goes_back_to_dispatch() -> None:
    assert next_status(S.DISPATCHED, A.RETURN) is S.ACCEPTED
    assert next_status(S.SIGNED, A.RETURN) is S.ACCEPTED


def test_reopen_after_completion_or_visit() -> None:
    assert next_status(S.COMPLETED, A.REOPEN) is S.IN_PROGRESS
    assert next_status(S.VISITED, A.REOPEN) is S.IN_PROGRESS


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_supervise_is_a_flag_on_any_open_case(status: CaseStatus) -> None:
    assert next_status(status, A.SUPERVISE) is status


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.ACCEPTED, A.SIGN),  # nobody was assigned yet
        (S.ACCEPTED, A.FINISH),
        (S.SIGNED, A.CANCEL),  # a unit owns it now (首接负责)
        (S.COMPLETED, A.SUPERVISE),
        (S.CANCELLED, A.REOPEN),
        (S.ARCHIVED, A.REOPEN),
        (S.DISPATCHED, A.FINISH),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    status: CaseStatus, action: CaseAction
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status(status, action)
    message = str(refused.value)
    assert status.value in message and action.value in message and "allowed from here" in message


def test_every_status_has_a_label_and_terminal_ones_accept_only_notes() -> None:
    for status in CaseStatus:
        assert status.label
    assert allowed_actions(S.ARCHIVED) == [A.ANNOTATE]
    assert set(allowed_actions(S.CANCELLED)) == {A.ARCHIVE, A.ANNOTATE}
    assert set(allowed_actions(S.MERGED)) == {A.SPLIT, A.ARCHIVE, A.ANNOTATE}


def test_a_merge_is_undone_only_by_a_split_back_to_dispatch() -> None:
    assert next_status(S.ACCEPTED, A.MERGE) is S.MERGED
    assert next_status(S.DISPATCHED, A.MERGE) is S.MERGED
    assert next_status(S.MERGED, A.SPLIT) is S.ACCEPTED
    assert not S.MERGED.is_open
    # A dispatcher merges by hand from any open status; a finished or closed case never merges.
    assert next_status(S.SIGNED, A.MERGE) is S.MERGED
    for closed in (S.COMPLETED, S.VISITED, S.ARCHIVED, S.CANCELLED, S.MERGED, S.INVALID):
        with pytest.raises(IllegalTransition):
            next_status(closed, A.MERGE)
    assert next_status(S.IN_PROGRESS, A.RECATEGORISE) is S.IN_PROGRESS
    with pytest.raises(IllegalTransition):
        next_status(S.MERGED, A.RECATEGORISE)


def test_no_transition_leaves_a_terminal_status_except_notes() -> None:
    for (action, source), _target in TRANSITIONS.items():
        if source in (S.ARCHIVED,):
            assert action is A.ANNOTATE


def test_every_pair_outside_the_table_is_refused() -> None:
    refused = 0
    for action in CaseAction:
        for status in CaseStatus:
            if (action, status) in TRANSITIONS:
                assert next_status(status, action) is TRANSITIONS[(action, status)]
                continue
            with pytest.raises(IllegalTransition) as error:
                next_status(status, action)
            assert error.value.action is action and error.value.status is status
            refused += 1
    assert refused > 0


def test_first_responsibility_in_the_table() -> None:
    """首接负责: once handling has begun (contacted or in progress) only finishing moves it on."""
    for status in (S.CONTACTED, S.IN_PROGRESS):
        assert A.RETURN not in allowed_actions(status)
        assert A.CANCEL not in allowed_actions(status)
        assert A.FINISH in allowed_actions(status)


def test_invalid_closes_any_open_case_and_only_an_admin_restore_leaves_it() -> None:
    for status in CaseStatus:
        if status.is_open:
            assert next_status(status, A.INVALIDATE) is S.INVALID
        else:
            with pytest.raises(IllegalTransition):
                next_status(status, A.INVALIDATE)
    assert not S.INVALID.is_open and S.INVALID.label == "不予受理"
    assert set(allowed_actions(S.INVALID)) == {A.RESTORE, A.ARCHIVE, A.ANNOTATE}
    assert next_status(S.INVALID, A.RESTORE) is S.ACCEPTED
