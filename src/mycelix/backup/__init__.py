"""Backup and restore of a whole node: catalogue, content, embedded chain, deployment.

`create_backup` writes one archive (archive.py: the format; create.py: the consistent
snapshot; encrypt.py: passphrase encryption), `restore_backup` verifies it whole and swaps it
in (restore.py), `prune` applies retention (prune.py). docs/operations.md is the guide.
"""

from .archive import FORMAT_VERSION, Manifest
from .create import BackupResult, create_backup, default_backup_dir
from .errors import ArchiveCorrupt, BackupError, PassphraseRequired, ServiceRunning, WrongPassphrase
from .prune import PruneResult, list_archives, prune
from .restore import RestoreResult, restore_backup, verify_backup

__all__ = [
    "FORMAT_VERSION",
    "ArchiveCorrupt",
    "BackupError",
    "BackupResult",
    "Manifest",
    "PassphraseRequired",
    "PruneResult",
    "RestoreResult",
    "ServiceRunning",
    "WrongPassphrase",
    "create_backup",
    "default_backup_dir",
    "list_archives",
    "prune",
    "restore_backup",
    "verify_backup",
]
