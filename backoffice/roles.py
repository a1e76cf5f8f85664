"""The roles (Django groups) and the one way views require a permission.

Every app's data migration grants its own permissions to the roles with `grant`, so a
role is the sum of what each app says it needs:
staff (orders, stock, logistics, inbox), finance (payments, reconciliation, fiscal),
manager (everything read, dashboards, goals), ops (jobs, sync logs, webhook inboxes,
health) and admin (everything).
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

ROLES = ("staff", "finance", "manager", "ops", "admin")


def emails_with_perm(permission: str) -> list[str]:
    """The e-mails of the active users who hold `permission` (through their role, their own
    permissions, or as superusers): whom a job's e-mail about that work goes to. Roles' and users'
    permissions are Django's, which its ModelBackend answers for (not django-axes')."""
    users = get_user_model().objects.with_perm(permission, backend="django.contrib.auth.backends.ModelBackend")
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def require(*perms):
    """View decorator: 403 unless the (logged-in) user has every permission in `perms`.

    The permissions are kept on the view as `required_permissions`, which the URL walk
    test reads to know who may open each page.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permissions = perms
        return wrapped

    return decorator


def role_of(user):
    """The user's role names, in the order of ROLES."""
    names = {group.name for group in user.groups.all()}
    return [role for role in ROLES if role in names]


def grant(apps, roles_to_perms):
    """For data migrations: give each role ("app_label.codename") permissions, creating groups.

    Permissions are created first, since Django only creates them after all migrations ran.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in roles_to_perms.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
