"""The ledger's tables: organisation, publications with their revisions, and the ledger itself."""

from models.base import Base
from models.ledger import GENESIS_HASH, LedgerEntry, LedgerKind
from models.org import Person, Role, RoleGrant, Unit, UnitKind
from models.publication import Attachment, Publication, Revision, Stage, Status

__all__ = [
    "GENESIS_HASH",
    "Attachment",
    "Base",
    "LedgerEntry",
    "LedgerKind",
    "Person",
    "Publication",
    "Revision",
    "Role",
    "RoleGrant",
    "Stage",
    "Status",
    "Unit",
    "UnitKind",
]
