"""The one exception hierarchy of pubreview: every refusal a user can meet is one of these."""


class PubreviewError(Exception):
    """Base of every error pubreview reports to a user (exit status 1, nothing written)."""


class ValidationError(PubreviewError):
    """Input is malformed: a submission, an organisation file, a supplement.

    `field` names the form field at fault, so a page can mark it; None when there is none.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LimitExceeded(ValidationError):
    """Input past a limit (a file too slow to screen, too many attachments): refused outright."""


class ArchiveRefused(LimitExceeded):
    """A file that would expand past the limits (a zip bomb): refused, never screened as unread."""


class TotpSecretUnreadable(PubreviewError):
    """A stored TOTP secret the current key cannot open (the web signing secret changed)."""


class NotFound(PubreviewError):
    """A publication, person or unit that does not exist."""


class DecisionRefused(PubreviewError):
    """A decision that the procedure does not allow now, or not from this person."""

    def __init__(self, message: str, *, cli_hint: str | None = None) -> None:
        super().__init__(message)
        # The command-line option that supplies what is missing; pages never show it.
        self.cli_hint = cli_hint


class LedgerBusy(PubreviewError):
    """The ledger's write lock was not had in time (another writer held it): nothing written."""


class LedgerBroken(PubreviewError):
    """The ledger's hash chain does not verify."""


class LinkRefused(PubreviewError):
    """A personal web link that is forged, altered or expired (nothing is written)."""


class Forbidden(PubreviewError):
    """The person may not see or do this (a page answers 403 and writes nothing)."""


class LoginRequired(PubreviewError):
    """No valid login session: the web app sends the person to the login page."""

    def __init__(self, message: str = "请先登录", *, reason: str = "none") -> None:
        super().__init__(message)
        self.reason = reason  # none, expired, revoked, disabled


class CsrfRefused(PubreviewError):
    """A logged-in form arrived without this session's form token (nothing is written)."""


class PasswordRejected(ValidationError):
    """A new password that the policy refuses; the message says what to change."""


class ContentTampered(LedgerBroken):
    """Stored content no longer matches the fingerprint in the ledger: it is not published."""


class CheckpointUnavailable(PubreviewError):
    """A checkpoint that cannot be signed (key missing or unsafe) or read (bad file, address)."""


class BackupRefused(PubreviewError):
    """A backup or restore refused: folder not empty or not a backup, or target not empty."""
