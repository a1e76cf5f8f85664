from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from backoffice.audit import audit_record
from backoffice.demo import demo_password, run_history
from backoffice.models import AuditEvent
from backoffice.roles import ROLES

pytestmark = pytest.mark.django_db


def test_it_creates_one_user_per_role_who_can_log_in_with_the_documented_password(client):
    call_command("seed_demo", "--orders", "0", stdout=open("/dev/null", "w"))
    for role in ROLES:
        user = get_user_model().objects.get(username=role)
        assert [g.name for g in user.groups.all()] == [role]
        assert client.login(username=role, password=demo_password(role))


def test_it_is_idempotent_and_keeps_changed_passwords(capsys):
    call_command("seed_demo", "--orders", "0")
    ops = get_user_model().objects.get(username="ops")
    ops.set_password("changed-by-ops")
    ops.save()
    call_command("seed_demo", "--orders", "0")
    assert get_user_model().objects.count() == len(ROLES)
    ops.refresh_from_db()
    assert ops.check_password("changed-by-ops")


def test_if_empty_skips_a_database_that_has_users(capsys, role_user):
    role_user("staff", username="someone")
    call_command("seed_demo", "--if-empty")
    assert "skipped" in capsys.readouterr().out
    assert get_user_model().objects.count() == 1


def test_a_negative_order_count_is_refused():
    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_demo", "--orders", "-1")


def test_the_history_takes_every_storys_steps_in_time_order_each_dated_then():
    now = timezone.now()
    days = [now - timedelta(days=d) for d in (60, 45, 30, 10)]

    def story(name, moments):
        for moment in moments:
            yield moment
            audit_record(actor=None, action="demo.step", note=name)

    run_history([story("a", [days[0], days[2]]), story("b", [days[1], days[3]])])
    steps = list(AuditEvent.objects.order_by("pk").values_list("note", "created_at"))
    assert [note for note, _at in steps] == ["a", "b", "a", "b"]
    for (_note, at), day in zip(steps, days):
        assert timedelta(0) <= at - day < timedelta(seconds=5)


@pytest.mark.parametrize("moments", [[timedelta(days=-1), timedelta(days=-2)], [timedelta(days=1)]],
                         ids=["back in time", "into the future"])
def test_a_story_cannot_step_back_in_time_nor_into_the_future(moments):
    now = timezone.now()

    def story():
        for moment in moments:
            yield now + moment

    with pytest.raises(ValueError, match="stepped"):
        run_history([story()])
