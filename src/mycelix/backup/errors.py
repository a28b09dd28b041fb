"""What can go wrong with a backup or a restore, each with a message an operator can act on."""

from __future__ import annotations

from mycelix.chain.errors import MycelixError


class BackupError(MycelixError):
    """A backup or restore could not be done; nothing was changed."""


class ArchiveCorrupt(BackupError):
    """The archive's bytes are not what was written (a checksum or an authentication tag
    fails, or it is truncated): restore refuses it before touching anything."""


class WrongPassphrase(BackupError):
    """The passphrase does not open this encrypted archive."""


class PassphraseRequired(BackupError):
    """The archive is encrypted and no passphrase was given."""


class ServiceRunning(BackupError):
    """The restore target is in use (a running `mycelix serve` or indexer holds its locks)."""
