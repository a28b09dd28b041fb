"""Operations: metrics, health, backups, checks."""
