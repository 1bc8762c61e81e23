"""The mail fixtures (real aiosmtpd on loopback) shared with the security tests."""

from tests.mail.conftest import mail_plugin, smtp_server

__all__ = ["mail_plugin", "smtp_server"]
