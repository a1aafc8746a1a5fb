"""API authentication: `Authorization: Bearer <token>` for tools, the browser's session for people."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.selectors import token_get_by_raw
from accounts.services import token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates `Authorization: Bearer <token>`; a missing, bad or expired token answers 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <token>'."
            )
        token = token_get_by_raw(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's owner is deactivated.")
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with CSRF enforced on writes (DRF's own behaviour)."""

    def authenticate_header(self, request: Request) -> Any:
        return 'Bearer realm="api"'
