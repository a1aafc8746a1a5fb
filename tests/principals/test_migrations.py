"""Principals moved from the findings app to their own: a database at the move's eve keeps them.

The three tables keep their names, so the move is a change of Django's state only; this migrates a
real PostgreSQL database back to the last migration before the move, writes a principal with its
activity and evidence there, migrates forward again, and finds them through principals.models.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from principals.models import Principal

BEFORE_MOVE = [("findings", "0006_principals"), ("principals", None)]


def migrate(targets):
    """Migrate the test database to `targets`; the apps (models) of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    nodes = [t for t in targets if t[1] is not None]
    return executor.loader.project_state(nodes).apps


def leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_principals_written_before_the_move_are_there_after_it(postgres, account_a):
    old = migrate(BEFORE_MOVE)
    OldPrincipal = old.get_model("findings", "Principal")
    OldActivity = old.get_model("findings", "PrincipalActivity")
    principal = OldPrincipal.objects.create(
        account_id=account_a.pk,
        identity="arn:aws:iam::222222222222:user/alice",
        identity_type="iam_user",
        name="alice",
        tier="gold",
        evidence={"rule": "write"},
    )
    OldActivity.objects.create(principal_id=principal.pk, region="us-east-1", day=date(2026, 11, 1))
    try:
        migrate(leaves())
    finally:  # whatever happens, the next tests get the schema they expect
        migrate(leaves())
    moved = Principal.objects.get(pk=principal.pk)
    assert (moved.account_id, moved.name, moved.tier) == (account_a.pk, "alice", "gold")
    assert moved.evidence == {"rule": "write"}
    assert moved.activity.get().day == date(2026, 11, 1)
    assert Principal._meta.db_table == "findings_principal"


@pytest.mark.django_db(transaction=True)
def test_the_permissions_people_hold_on_principals_carry_across_the_move(postgres):
    group = Group.objects.create(name="readers of principals")
    perm = Permission.objects.get(content_type__app_label="principals", codename="view_principal")
    group.permissions.add(perm)
    migrate(BEFORE_MOVE)
    perm.refresh_from_db()
    assert perm.content_type.app_label == "findings"  # as it was before the move
    migrate(leaves())
    perm.refresh_from_db()
    assert perm.content_type.app_label == "principals"
    assert list(group.permissions.all()) == [perm]
    assert not ContentType.objects.filter(app_label="findings", model="principal").exists()
