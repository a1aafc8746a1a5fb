"""The emulated AWS estate: accounts, organisation, roles, issued credentials and service state.

Tests build a `World` (or take `demo_world()`), then put an `Emulator` or `EmulatorServer` in
front of it. Every number that AWS fixes is cited where it is used.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .errors import AwsError

if TYPE_CHECKING:
    from .services.budgets import BudgetsState
    from .services.ce import CostExplorerState
    from .services.cloudtrail import CloudTrailState
    from .services.guardduty import GuardDutyState
    from .services.inspector2 import Inspector2State
    from .services.macie2 import MacieState

# Organizations retired the Account `Status` field on 2026-09-09 in favour of `State`
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html).
STATUS_RETIRED_AT = datetime(2026, 9, 9, tzinfo=UTC)
_UPPER = string.ascii_uppercase + string.digits


def _stable(seed: str, alphabet: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


@dataclass
class Account:
    """An AWS account known to the world (an organisation member once an org exists)."""

    account_id: str
    name: str
    email: str
    state: str = "ACTIVE"
    joined_method: str = "CREATED"
    joined_at: datetime | None = None
    # The root ("r-...") or OU ("ou-...") the account sits in; "" before an organisation exists.
    parent_id: str = ""


@dataclass
class OrgUnit:
    """An organisational unit: its id ("ou-<root part>-<8 or more>"), name and parent."""

    ou_id: str
    name: str
    parent_id: str


@dataclass
class Organization:
    """The AWS Organization: its management (payer) account, id, root and OU tree."""

    management_account_id: str
    org_id: str
    feature_set: str = "ALL"
    root_id: str = ""
    ous: dict[str, OrgUnit] = field(default_factory=dict)

    def root_arn(self) -> str:
        """The root's ARN."""
        return (
            f"arn:aws:organizations::{self.management_account_id}:root/{self.org_id}/{self.root_id}"
        )

    def ou_arn(self, ou_id: str) -> str:
        """An OU's ARN."""
        return f"arn:aws:organizations::{self.management_account_id}:ou/{self.org_id}/{ou_id}"

    def ou_path(self, ou_id: str) -> str:
        """An OU's path as AWS writes it: o-.../r-.../ou-.../ (root first)."""
        chain = []
        while ou_id in self.ous:
            chain.append(ou_id)
            ou_id = self.ous[ou_id].parent_id
        return "/".join([self.org_id, self.root_id, *reversed(chain)]) + "/"

    @property
    def arn(self) -> str:
        """The organization's ARN."""
        return f"arn:aws:organizations::{self.management_account_id}:organization/{self.org_id}"

    def account_arn(self, account_id: str) -> str:
        """The ARN Organizations gives a member account."""
        return (
            f"arn:aws:organizations::{self.management_account_id}:account/"
            f"{self.org_id}/{account_id}"
        )


@dataclass
class Role:
    """An IAM role that the hub may assume, with its trust condition on sts:ExternalId."""

    account_id: str
    name: str
    external_id: str | None = None
    allow_without_external_id: bool = False
    # A role's maximum session is 1 hour unless its owner raised it (up to 12 hours):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
    max_session_duration: int = 3600

    @property
    def arn(self) -> str:
        """The role's ARN."""
        return f"arn:aws:iam::{self.account_id}:role/{self.name}"

    @property
    def role_id(self) -> str:
        """A stable unique id in AWS's format ("AROA" + 17 characters)."""
        return "AROA" + _stable(self.arn, _UPPER, 17)


@dataclass
class Credential:
    """Temporary credentials issued by the emulated STS AssumeRole."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    account_id: str
    role_name: str
    role_id: str
    session_name: str
    expiration: datetime


@dataclass(frozen=True)
class Identity:
    """Who signed a request: the hub identity or an assumed-role session."""

    account_id: str
    arn: str
    user_id: str
    assumed: bool = False


@dataclass
class World:
    """All state the emulator answers from; safe to mutate between (or during) calls.

    `short_pages` makes every paged operation return fewer items than asked while more follow.
    """

    hub_account_id: str = "999999999999"
    # The ARN GetCallerIdentity gives for the hub's own credentials (default: an IAM user
    # arn:aws:iam::<hub>:user/watchpost-hub); e.g. an assumed-role session
    # arn:aws:sts::<hub>:assumed-role/<Role>/<session> for a hub on EC2, ECS or Lambda.
    hub_arn: str | None = None
    clock: Clock = field(default_factory=Clock)
    short_pages: bool = False
    # Groups per GetCostAndUsage page: AWS documents none; small enough that a day straddles pages.
    ce_page_groups: int = 500
    accounts: dict[str, Account] = field(default_factory=dict)
    roles: dict[tuple[str, str], Role] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    org: Organization | None = None
    # Delegated administrators: service principal -> (account id, since when); an account left out
    # of one service's organisation in a region: (service, account id, region) (aws_emulator.services
    # .delegation).
    delegated_admins: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    not_members: set[tuple[str, str, str]] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _states: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)

    def add_account(
        self,
        account_id: str,
        name: str | None = None,
        email: str | None = None,
        status: str = "ACTIVE",
        joined_method: str = "CREATED",
        joined_at: datetime | None = None,
    ) -> str:
        """Add (or update) an account; it is an organisation member. Returns the account id.

        `status` is the Organizations `State` value (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED...).
        """
        with self.lock:
            self.accounts[account_id] = Account(
                account_id=account_id,
                name=name or f"account-{account_id}",
                email=email or f"aws+{account_id}@example.com",
                state=status,
                joined_method=joined_method,
                joined_at=joined_at or (self.clock() - timedelta(days=400)),
                parent_id=self.org.root_id if self.org else "",
            )
        return account_id

    def organization(self, management_account_id: str, feature_set: str = "ALL") -> Organization:
        """Create the organisation (once) with its management account; members via add_account."""
        with self.lock:
            if management_account_id not in self.accounts:
                self.add_account(management_account_id, name="Management")
            org_id = "o-" + _stable(
                management_account_id, string.ascii_lowercase + "0123456789", 10
            )
            root_id = "r-" + _stable(org_id, string.ascii_lowercase + "0123456789", 4)
            self.org = Organization(management_account_id, org_id, feature_set, root_id)
            for account in self.accounts.values():
                account.parent_id = account.parent_id or root_id
            return self.org

    def add_ou(self, parent_id: str, name: str) -> str:
        """Create an OU under the root or another OU (AWS allows five levels); returns its id."""
        with self.lock:
            if self.org is None:
                raise ValueError("create the organisation first")
            if parent_id != self.org.root_id and parent_id not in self.org.ous:
                raise ValueError(f"no such parent: {parent_id}")
            suffix = _stable(f"{parent_id}/{name}", string.ascii_lowercase + "0123456789", 8)
            ou_id = f"ou-{self.org.root_id[2:]}-{suffix}"
            self.org.ous[ou_id] = OrgUnit(ou_id, name, parent_id)
            return ou_id

    def move_account(self, account_id: str, parent_id: str) -> None:
        """Move an account to another parent (MoveAccount)."""
        with self.lock:
            assert self.org is not None
            if parent_id != self.org.root_id and parent_id not in self.org.ous:
                raise ValueError(f"no such parent: {parent_id}")
            self.accounts[account_id].parent_id = parent_id

    def delete_ou(self, ou_id: str) -> None:
        """Delete an empty OU (AWS refuses to delete one that holds accounts or OUs)."""
        with self.lock:
            assert self.org is not None
            if any(a.parent_id == ou_id for a in self.accounts.values()) or any(
                o.parent_id == ou_id for o in self.org.ous.values()
            ):
                raise ValueError(f"{ou_id} is not empty")
            del self.org.ous[ou_id]

    def add_role(
        self,
        account_id: str,
        name: str,
        external_id: str | None = None,
        allow_without_external_id: bool = False,
        max_session_duration: int = 3600,
    ) -> Role:
        """Create a role in `account_id` that trusts the hub, conditioned on `external_id`."""
        role = Role(account_id, name, external_id, allow_without_external_id, max_session_duration)
        with self.lock:
            self.roles[(account_id, name)] = role
        return role

    def issue_credentials(self, role: Role, session_name: str, duration: int) -> Credential:
        """Issue temporary credentials for an AssumeRole call and remember them."""
        key = "ASIA" + "".join(secrets.choice(_UPPER) for _ in range(16))
        credential = Credential(
            access_key_id=key,
            secret_access_key=secrets.token_urlsafe(30)[:40],
            session_token="FwoGZXIvYXdzE" + secrets.token_urlsafe(96),
            account_id=role.account_id,
            role_name=role.name,
            role_id=role.role_id,
            session_name=session_name,
            expiration=(self.clock() + timedelta(seconds=duration)).replace(microsecond=0),
        )
        with self.lock:
            self.credentials[key] = credential
        return credential

    def identity_for(self, access_key: str | None, session_token: str | None) -> Identity:
        """Resolve the signer of a request; raise the error AWS gives for bad credentials."""
        if not access_key:
            raise AwsError(
                "MissingAuthenticationTokenException", "Missing Authentication Token", 403
            )
        credential = self.credentials.get(access_key)
        if credential is None:
            if access_key.startswith("ASIA"):
                raise AwsError(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                    403,
                )
            return self.hub_identity()
        if session_token != credential.session_token:
            raise AwsError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
                403,
            )
        if self.clock() >= credential.expiration:
            raise AwsError(
                "ExpiredTokenException", "The security token included in the request is expired"
            )
        return Identity(
            account_id=credential.account_id,
            arn=(
                f"arn:aws:sts::{credential.account_id}:assumed-role/"
                f"{credential.role_name}/{credential.session_name}"
            ),
            user_id=f"{credential.role_id}:{credential.session_name}",
            assumed=True,
        )

    def hub_identity(self) -> Identity:
        """Who the hub's own (non-assumed) credentials are."""
        arn = self.hub_arn or f"arn:aws:iam::{self.hub_account_id}:user/watchpost-hub"
        if ":assumed-role/" in arn:
            session = arn.rsplit("/", 1)[1]
            user_id = "AROA" + _stable(arn.rsplit("/", 1)[0], _UPPER, 17) + f":{session}"
        else:
            user_id = "AIDA" + _stable(arn, _UPPER, 17)
        return Identity(
            account_id=self.hub_account_id, arn=arn, user_id=user_id, assumed=":sts:" in arn
        )

    def delegate(self, service: str, account_id: str) -> None:
        """Make `account_id` the organisation's delegated administrator of `service` (botocore's
        name: guardduty, macie2, inspector2); every other active member joins it in every region,
        as with the services' auto-enable, until `leave` says otherwise."""
        from .services.delegation import SERVICE_PRINCIPALS

        with self.lock:
            self.delegated_admins[SERVICE_PRINCIPALS[service]] = (account_id, self.clock())

    def leave(self, service: str, account_id: str, region: str) -> None:
        """Take `account_id` out of `service`'s organisation in `region` (not a member there)."""
        with self.lock:
            self.not_members.add((service, account_id, region))

    def status_field_retired(self) -> bool:
        """Whether Organizations has stopped returning the Account `Status` field."""
        return self.clock() >= STATUS_RETIRED_AT

    def _state(self, key: tuple[str, ...], factory: Any) -> Any:
        with self.lock:
            if key not in self._states:
                self._states[key] = factory()
            return self._states[key]

    def guardduty(self, account_id: str, region: str) -> GuardDutyState:
        """GuardDuty state of one account and region (no detector until `.enable()`)."""
        from .services.guardduty import GuardDutyState

        return self._state(
            ("guardduty", account_id, region), lambda: GuardDutyState(self, account_id, region)
        )

    def macie(self, account_id: str, region: str) -> MacieState:
        """Macie state of one account and region (off until `.enable()`)."""
        from .services.macie2 import MacieState

        return self._state(
            ("macie2", account_id, region), lambda: MacieState(self, account_id, region)
        )

    def inspector2(self, account_id: str, region: str) -> Inspector2State:
        """Inspector state of one account and region (DISABLED until `.enable()`)."""
        from .services.inspector2 import Inspector2State

        return self._state(
            ("inspector2", account_id, region), lambda: Inspector2State(self, account_id, region)
        )

    def cloudtrail(self, account_id: str, region: str) -> CloudTrailState:
        """CloudTrail event history of one account and region."""
        from .services.cloudtrail import CloudTrailState

        return self._state(
            ("cloudtrail", account_id, region), lambda: CloudTrailState(self, account_id, region)
        )

    def ce(self, account_id: str) -> CostExplorerState:
        """Cost Explorer data as seen from `account_id` (global: answered in us-east-1)."""
        from .services.ce import CostExplorerState

        return self._state(("ce", account_id), lambda: CostExplorerState(self, account_id))

    def budgets(self, account_id: str) -> BudgetsState:
        """AWS Budgets of `account_id`."""
        from .services.budgets import BudgetsState

        return self._state(("budgets", account_id), lambda: BudgetsState(self, account_id))
