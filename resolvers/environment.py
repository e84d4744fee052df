"""Reading settings from environment variables."""

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def read_flag(
    env: dict[str, str], name: str, *, default: bool, error: type[Exception]
) -> bool:
    """A yes/no setting; anything but the usual words raises ``error``."""
    raw = env.get(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise error(f"{name} must be true or false, got {raw!r}")
