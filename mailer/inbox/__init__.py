"""Mail that comes back: calendar answers, bounces, auto-replies and unsubscribe e-mails,
read from one IMAP mailbox and acted on once (see ``process.py``)."""
