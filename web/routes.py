"""The public pages, added to the web application through the wiring list."""

from __future__ import annotations

from starlette.routing import Route

from web import manage, pages
from web.render import stylesheet


def routes() -> list[Route]:
    token = "/mes-inscriptions/{token}"
    return [
        Route("/", pages.agenda_page, methods=["GET"]),
        Route("/relais.css", stylesheet, methods=["GET"]),
        Route("/e/{code}", pages.event_page, methods=["GET"]),
        Route("/e/{code}", pages.register_event, methods=["POST"]),
        Route("/e/{code}/agenda.ics", pages.event_ics, methods=["GET"]),
        Route("/c/{code}", pages.series_page, methods=["GET"]),
        Route("/c/{code}", pages.register_series, methods=["POST"]),
        Route("/inscription/confirmer/{token}", pages.confirm_form, methods=["GET"]),
        Route("/inscription/confirmer/{token}", pages.confirm, methods=["POST"]),
        Route("/mes-inscriptions", manage.request_form, methods=["GET"]),
        Route("/mes-inscriptions", manage.request_link, methods=["POST"]),
        Route(token, manage.overview, methods=["GET"]),
        Route(token + "/annuler/{registration}", manage.cancel_form, methods=["GET"]),
        Route(token + "/annuler/{registration}", manage.cancel, methods=["POST"]),
        Route(token + "/invitation/{registration}.ics", manage.invitation, methods=["GET"]),
        Route(token + "/profil", manage.profile_form, methods=["GET"]),
        Route(token + "/profil", manage.profile_save, methods=["POST"]),
        Route(token + "/donnees.json", manage.export, methods=["GET"]),
        Route(token + "/supprimer", manage.erase_form, methods=["GET"]),
        Route(token + "/supprimer", manage.erase, methods=["POST"]),
    ]
