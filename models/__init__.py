"""The ledger's tables: organisation, accounts, publications with their revisions, the ledger."""

from models.account import Account, LoginSession
from models.base import Base
from models.ledger import GENESIS_HASH, ItemSummary, LedgerEntry, LedgerKind
from models.org import Person, Role, RoleGrant, Unit, UnitKind
from models.publication import Attachment, Publication, Revision, Stage, Status
from models.requests import (
    DisclosureCase,
    DisclosureRequest,
    RequestConsultation,
    RequestFile,
    RequestFileKind,
)

__all__ = [
    "GENESIS_HASH",
    "Account",
    "Attachment",
    "Base",
    "DisclosureCase",
    "DisclosureRequest",
    "ItemSummary",
    "LedgerEntry",
    "LedgerKind",
    "LoginSession",
    "Person",
    "Publication",
    "RequestConsultation",
    "RequestFile",
    "RequestFileKind",
    "Revision",
    "Role",
    "RoleGrant",
    "Stage",
    "Status",
    "Unit",
    "UnitKind",
]
