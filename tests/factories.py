"""factory_boy factories for the models tests build."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from accounts.models import AwsAccount


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
