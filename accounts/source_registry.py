"""The registry of sources: each source declares itself once, in a module beside its collector.

An app that collects something has a `sources` package (`findings/sources/guardduty.py`,
`principals/sources/cloudtrail.py`, `costs/sources/budgets.py` ...) whose modules each define
`SOURCE = SourceDeclaration(...)`. The spine (collection, schedule, connection check, IAM policy,
choices) reads them from here and names no source. Declarations are plain data with a dotted path to
their syncer, so this module and theirs import no Django model: config/celery.py reads the schedule
before Django is set up, and the choices are built from them while models load.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Probe:
    """The one cheap read that shows a role may read a source (the onboarding check).

    `params` builds the request from the account id; `not_enabled` reads the answer and returns why
    the service is off in that region ("" when it is on)."""

    service: str
    operation: str
    params: Callable[[str], dict[str, Any]] = lambda account_id: {}
    not_enabled: Callable[[dict[str, Any]], str] = lambda answer: ""


@dataclass(frozen=True)
class AdminMode:
    """How a source is read through its organisation's delegated administrator.

    `service_principal` is what organizations:ListDelegatedAdministrators names
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html);
    `find` is the dotted path of a function (client) -> administrator account id or "" asked of the
    service itself; `members` the dotted path of a function (client) -> {account id: status} asked of the
    administrator; a member is covered when its status is in `covered`. `calls` are the
    operations these make (granted to every role: the administrator is a member too)."""

    service_principal: str
    find: str
    members: str
    covered: frozenset[str]
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceDeclaration:
    """Everything the spine needs to know about one source.

    `calls` are the API operations ("service:Operation", botocore's names) its collector and probe
    make in a member account; the member role's policy is generated from them (accounts.iam)."""

    name: str
    label: str
    order: int
    schedule_minutes: int
    syncer: str
    probe: Probe
    calls: tuple[str, ...]
    page_sizes: dict[str, int] = field(default_factory=dict)
    # Operations whose IAM action has another name than the operation.
    iam_action_of: dict[str, str] = field(default_factory=dict)
    regional: bool = True
    payer_only: bool = False
    finding_source: bool = False
    admin: AdminMode | None = None

    @property
    def admin_capable(self) -> bool:
        return self.admin is not None


def _app_names() -> list[str]:
    """The packages of the installed apps (an entry may name an AppConfig class instead)."""
    from django.conf import settings

    names = []
    for entry in settings.INSTALLED_APPS:
        module, _, last = entry.rpartition(".")
        if module and last[:1].isupper():
            entry = getattr(importlib.import_module(module), last).name
        if not entry.startswith("django."):
            names.append(entry)
    return names


@cache
def source_declarations() -> tuple[SourceDeclaration, ...]:
    """Every source declared by an installed app, in their declared order."""
    found: dict[str, SourceDeclaration] = {}
    for app in _app_names():
        try:
            package = importlib.import_module(f"{app}.sources")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.sources":
                raise
            continue
        for module_info in pkgutil.iter_modules(getattr(package, "__path__", [])):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            declaration = getattr(module, "SOURCE", None)
            if isinstance(declaration, SourceDeclaration):
                if declaration.name in found:
                    raise ValueError(f"source {declaration.name!r} is declared twice")
                found[declaration.name] = declaration
    return tuple(sorted(found.values(), key=lambda d: (d.order, d.name)))


def source_declaration(name: str) -> SourceDeclaration:
    """The declaration of source `name`; KeyError when no app declares it."""
    for declaration in source_declarations():
        if declaration.name == name:
            return declaration
    raise KeyError(name)


def source_names() -> list[str]:
    """The names of every source, in order."""
    return [d.name for d in source_declarations()]


def admin_capable_sources() -> list[SourceDeclaration]:
    """The sources an organisation can read through a delegated administrator."""
    return [d for d in source_declarations() if d.admin is not None]
