"""Settings from the environment and ``.env``.

The variable names are a contract with operators (see ``.env.example``).
A wrong value must stop start-up with one French line naming the setting,
so :func:`load_settings` turns pydantic's errors into :class:`SettingsError`.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from relais.i18n import has, t, validation_reason

#: The signing key of every install without SECRET_KEY before keys were generated. It was
#: written in the source, so it is public: refused as SECRET_KEY, never used to sign.
PUBLIC_DEVELOPMENT_KEY = "relais-development-key-not-secret"
MIN_SECRET_KEY = 16


class SettingsError(Exception):
    """A setting has a value Relais cannot use; the message names it in French."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///relais.db"

    telegram_bot_token: str = ""
    telegram_api_base_url: str = ""
    #: The bot's name without @. Empty (the default): no Telegram link or button is shown
    #: anywhere, so a fresh install never sends people to a bot the centre does not own.
    telegram_bot_username: str = ""
    telegram_webhook_url: str = ""
    #: Show Telegram's login button on the back office's sign-in page. Off by default: it
    #: loads a script from telegram.org, and the bot's domain must be set with BotFather.
    telegram_login_widget: bool = False
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout: float = Field(default=30.0, gt=0)
    #: Without a display name, ORGANISATION_NAME is shown (see ``_named_sender``).
    mail_from: str = "relais@localhost"
    mail_reply_to: str = ""
    mail_outbox_dir: Path = Path("outbox")
    mail_concurrency: int = Field(default=3, ge=1, le=50)
    mail_rate_per_second: float = Field(default=10.0, ge=0)
    mail_rate_per_hour: int = Field(default=0, ge=0)
    mail_retry_hours: float = Field(default=48.0, gt=0)
    mail_retry_first_delay: float = Field(default=60.0, gt=0)
    mail_batch_size: int = Field(default=50, ge=1, le=10_000)
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    reminder_offsets: str = "7d,1d"
    reminder_webinar_offsets: str = "1h"

    mail_bounce_address: str = ""
    mail_bounce_verp: bool = False

    imap_host: str = ""
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_username: str = ""
    imap_password: str = ""
    imap_security: Literal["none", "starttls", "tls"] = "tls"
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Relais-Traites"
    imap_human_folder: str = ""
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    imap_timeout: float = Field(default=30.0, gt=0)
    imap_max_message_bytes: int = Field(default=10_000_000, ge=10_000)
    imap_trusted_authserv_id: str = ""
    imap_ca_file: str = ""

    newsletter_unsubscribe_mailto: str = ""
    newsletter_confirmations_per_address: int = Field(default=3, ge=1, le=100)
    newsletter_confirmations_per_account: int = Field(default=5, ge=1, le=100)
    import_chunk_lines: int = Field(default=500, ge=1, le=100_000)

    #: Empty: derived from WEB_HOST and WEB_PORT (see ``_derived_public_url``).
    public_base_url: str = ""
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    web_max_body_bytes: int = Field(default=32_768, ge=1024, le=10_000_000)
    #: A subscribers' CSV sent from the back office (about 20,000 lines by default).
    web_max_upload_bytes: int = Field(default=2_000_000, ge=1024, le=50_000_000)

    timezone: str = "Europe/Paris"
    secret_key: str = ""
    organisation_name: str = "Centre de ressources politique de la ville"
    privacy_url: str = ""
    organisation_logo_url: str = ""
    organisation_colour: str = "#1d4e89"
    #: The address shown to people who need to reach the centre (a members-only event…);
    #: empty: MAIL_REPLY_TO, else MAIL_FROM (see :attr:`contact_email`).
    organisation_contact_email: str = ""

    register_link: Literal["web", "telegram"] = "web"
    manage_link_days: int = Field(default=7, ge=1, le=90)
    web_rate_per_ip: int = Field(default=30, ge=1)
    web_rate_per_email: int = Field(default=5, ge=1)
    web_page_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    signin_link_minutes: int = Field(default=20, ge=5, le=24 * 60)
    signin_session_hours: int = Field(default=12, ge=1, le=24 * 30)

    checkin_window_hours: float = Field(default=2.0, ge=0, le=12)
    funder_names: str = ""
    funder_logos: Annotated[list[Path], NoDecode] = Field(default_factory=list)

    backup_dir: Path = Path("backups")
    backup_keep: int = Field(default=14, ge=1)
    dkim_selector: str = ""

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("funder_logos", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("reminder_offsets", "reminder_webinar_offsets")
    @classmethod
    def _readable_offsets(cls, value: str) -> str:
        from relais.events.offsets import parse_offsets

        parse_offsets(value)
        return value

    @field_validator(
        "mail_from",
        "mail_reply_to",
        "newsletter_unsubscribe_mailto",
        "mail_bounce_address",
        "organisation_contact_email",
    )
    @classmethod
    def _mail_address(cls, value: str) -> str:
        """« Nom <adresse> » or a bare address; ``localhost`` is allowed for trials."""
        if value == "":
            return value
        _name, address = parseaddr(value)
        local_part, _, domain = address.partition("@")
        if not local_part or not domain or " " in address:
            raise ValueError("not an e-mail address")
        return value

    @field_validator("imap_ca_file")
    @classmethod
    def _readable_ca_file(cls, value: str) -> str:
        if value.strip() and not Path(value.strip()).is_file():
            raise ValueError("no such file")
        return value.strip()

    @field_validator("organisation_colour")
    @classmethod
    def _readable_colour(cls, value: str) -> str:
        """A ``#rrggbb`` colour dark enough for white text (contrast ≥ 4.5:1, RGAA AA)."""
        if len(value) != 7 or value[0] != "#":
            raise ValueError("colour")
        try:
            channels = [int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        except ValueError:
            raise ValueError("colour") from None
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        if 1.05 / (luminance + 0.05) < 4.5:
            raise ValueError("colour")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown timezone") from exc
        return value

    @field_validator(
        "public_base_url", "telegram_api_base_url", "telegram_webhook_url", "organisation_logo_url"
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value == "":
            return value
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if not scheme.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("unsupported database URL")
        if scheme in ("postgres", "postgresql"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        try:
            make_url(value).get_dialect()
        except (ArgumentError, ValueError):
            raise ValueError("unparsable database URL") from None
        return value

    @model_validator(mode="after")
    def _real_secret(self) -> Settings:
        """SECRET_KEY may stay empty (a key is generated); when set it must be a real secret."""
        weak = len(self.secret_key) < MIN_SECRET_KEY or self.secret_key == PUBLIC_DEVELOPMENT_KEY
        if self.secret_key and weak:
            raise ValueError("SECRET_KEY")
        return self

    @model_validator(mode="after")
    def _derived_public_url(self) -> Settings:
        """Without PUBLIC_BASE_URL, the address ``relais run`` really listens on, so that the
        links in e-mails still work after ``WEB_PORT=8099 make run``. A host listening on
        every interface or on loopback is reached as 127.0.0.1 (what the docs tell to open)."""
        if not self.public_base_url:
            self.public_base_url = local_url(self.web_host, self.web_port)
        return self

    @model_validator(mode="after")
    def _named_sender(self) -> Settings:
        """A bare MAIL_FROM address is shown under the organisation's name, not as « relais »."""
        name, address = parseaddr(self.mail_from)
        if not name and self.organisation_name.strip():
            self.mail_from = str(Address(self.organisation_name.strip(), addr_spec=address))
        return self

    @property
    def contact_email(self) -> str:
        """Where people reach the centre: ORGANISATION_CONTACT_EMAIL, MAIL_REPLY_TO or MAIL_FROM.

        Empty when that is a trial's ``…@localhost``: nobody outside could write to it."""
        for value in (self.organisation_contact_email, self.mail_reply_to, self.mail_from):
            if value:
                address = parseaddr(value)[1]
                return "" if address.lower().endswith("@localhost") else address
        return ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


#: Hosts that mean « this machine » for someone opening the pages on it.
LOCAL_HOSTS = {"", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost"}


def local_url(host: str, port: int) -> str:
    """``http://host:port`` as a browser on this machine opens it (127.0.0.1 for 0.0.0.0)."""
    shown = "127.0.0.1" if host.strip() in LOCAL_HOSTS else host.strip()
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def without_password(url: str) -> str:
    """A database address to show, its password replaced by ``***``.

    Works on addresses too broken to parse: an operator's typo must not put a
    password in a terminal, a log or a support ticket. Without ``://`` nothing
    tells a password apart, so nothing is shown.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return ""
    userinfo, at, location = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{location}"


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    name = location[0].upper() if location else "SECRET_KEY"
    value = first.get("input")
    if not location and "SECRET_KEY" in str(first.get("msg", "")):
        return t("settings.secret_key_weak", minimum=MIN_SECRET_KEY)
    shown = "" if "PASSWORD" in name or "TOKEN" in name or "SECRET" in name else value
    if name == "DATABASE_URL" and isinstance(value, str):
        shown = without_password(value)
    reason = validation_reason(first)
    if first.get("type") == "value_error" and has(f"settings.reasons.{name.lower()}"):
        reason = t(f"settings.reasons.{name.lower()}")
    return t("settings.invalid", name=name, value=shown, reason=reason)


def load_settings(**overrides: object) -> Settings:
    """Build settings, raising :class:`SettingsError` with one French line on bad values.

    The settings file is found wherever the command runs (see :mod:`relais.location`)
    and relative paths are anchored in the installation's home folder.
    """
    from relais.location import anchored_sqlite_url, locate

    where = locate()
    try:
        settings = Settings(_env_file=where.env_file, **overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
    settings.database_url = anchored_sqlite_url(settings.database_url, where.home)
    settings.mail_outbox_dir = where.home / settings.mail_outbox_dir
    settings.backup_dir = where.home / settings.backup_dir
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
