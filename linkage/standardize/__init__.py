"""Company-aware standardisation of names, legal forms, identifiers, addresses and contacts."""

from linkage.standardize.addresses import normalize_address, normalize_postcode
from linkage.standardize.contacts import normalize_email, normalize_phone, registrable_domain
from linkage.standardize.features import StoredFeatures, build_features
from linkage.standardize.identifiers import SCHEMES, Identifier, parse_identifier
from linkage.standardize.names import CompanyName, normalize_name

__all__ = [
    "SCHEMES",
    "CompanyName",
    "Identifier",
    "StoredFeatures",
    "build_features",
    "normalize_address",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "parse_identifier",
    "registrable_domain",
]
