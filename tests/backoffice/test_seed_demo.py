import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from backoffice.demo import demo_password
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
