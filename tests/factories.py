"""factory_boy factories for the models tests build."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from accounts.models import AwsAccount, OrganizationalUnit


class UserFactory(factory.django.DjangoModelFactory):
    """A person who can log in with the password 'correct-horse-battery'."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class AwsAccountFactory(factory.django.DjangoModelFactory):
    """A member account with a valid role ARN in the same account."""

    class Meta:
        model = AwsAccount
        django_get_or_create = ("account_id",)

    account_id = factory.Sequence(lambda n: f"{100000000000 + n:012d}")
    name = factory.Sequence(lambda n: f"Account {n}")
    role_arn = factory.LazyAttribute(
        lambda a: f"arn:aws:iam::{a.account_id}:role/WatchpostReadOnly"
    )
    regions = factory.LazyFunction(lambda: ["us-east-1", "eu-west-1"])


def make_ou(ou_id: str, name: str, parent: OrganizationalUnit | None = None) -> OrganizationalUnit:
    """A root (parent None) or OU under `parent`, with its path as discovery writes it."""
    path = f"{parent.path if parent else ''}{ou_id}/"
    return OrganizationalUnit.objects.create(ou_id=ou_id, name=name, parent=parent, path=path)


ROOT_ID, WORKLOADS_ID, PROD_ID, DATA_ID = (
    "r-ab12",
    "ou-ab12-workload",
    "ou-ab12-produnit",
    "ou-ab12-datalake",
)


def ou_tree(*, prod: list[AwsAccount], data: list[AwsAccount]) -> dict[str, OrganizationalUnit]:
    """Root > Workloads > Prod (the `prod` accounts), and Root > Data (the `data` accounts)."""
    root = make_ou(ROOT_ID, "Root")
    workloads = make_ou(WORKLOADS_ID, "Workloads", root)
    units = {
        "root": root,
        "workloads": workloads,
        "prod": make_ou(PROD_ID, "Prod", workloads),
        "data": make_ou(DATA_ID, "Data", root),
    }
    for key, accounts in (("prod", prod), ("data", data)):
        AwsAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(ou=units[key])
    return units
