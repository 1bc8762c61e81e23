"""The back office's addresses, under ``/gestion`` (joined through the wiring list)."""

from __future__ import annotations

from starlette.routing import Route

from web.admin import (
    cycles,
    event_form,
    journal,
    networks,
    newsletter,
    pages,
    registrations,
    report,
    signin,
    stats,
    subscribers,
    today,
)
from web.admin.base import action, stylesheet, view

EVENT = "/gestion/evenements/{event}"
CYCLE = "/gestion/cycles/{series}"
NETWORK = "/gestion/reseaux/{network}"
DRAFT = "/gestion/lettre/brouillons/{draft}"
ISSUE = "/gestion/lettre/{number}"


def routes() -> list[Route]:
    return [
        Route("/gestion/gestion.css", stylesheet, methods=["GET"]),
        Route("/gestion/gestion.js", newsletter.script, methods=["GET"]),
        Route("/gestion/connexion", signin.request_form, methods=["GET"]),
        Route("/gestion/connexion", signin.request_link, methods=["POST"]),
        Route("/gestion/connexion/telegram", signin.telegram, methods=["GET"]),
        Route("/gestion/connexion/{token}", signin.link_form, methods=["GET"]),
        Route("/gestion/connexion/{token}", signin.use_link, methods=["POST"]),
        Route("/gestion/deconnexion", signin.sign_out, methods=["POST"]),
        Route("/gestion/", view(pages.dashboard), methods=["GET"]),
        Route("/gestion/evenements", view(pages.event_list), methods=["GET"]),
        Route("/gestion/evenements/nouveau", view(event_form.new_form), methods=["GET"]),
        Route("/gestion/evenements/nouveau", action(event_form.create), methods=["POST"]),
        Route(EVENT, view(pages.event_page), methods=["GET"]),
        Route(EVENT + "/modifier", view(event_form.edit_form), methods=["GET"]),
        Route(EVENT + "/modifier", action(event_form.save), methods=["POST"]),
        Route(EVENT + "/publier", action(event_form.publish), methods=["POST"]),
        Route(EVENT + "/annuler", view(event_form.cancel_form), methods=["GET"]),
        Route(EVENT + "/annuler", action(event_form.cancel), methods=["POST"]),
        Route(EVENT + "/dupliquer", view(event_form.duplicate_form), methods=["GET"]),
        Route(EVENT + "/dupliquer", action(event_form.duplicate), methods=["POST"]),
        Route(EVENT + "/export.{kind}", view(registrations.export), methods=["GET"]),
        Route(EVENT + "/ajouter", view(registrations.add_form), methods=["GET"]),
        Route(EVENT + "/ajouter", action(registrations.add), methods=["POST"]),
        Route(EVENT + "/inscriptions", action(registrations.act), methods=["POST"]),
        Route(EVENT + "/ecrire", action(registrations.write), methods=["POST"]),
        Route(EVENT + "/jour-j", view(today.roster_page), methods=["GET"]),
        Route(EVENT + "/jour-j", action(today.mark), methods=["POST"]),
        Route(EVENT + "/affiche.pdf", view(today.poster), methods=["GET"]),
        Route(EVENT + "/affiche", view(today.poster_page), methods=["GET"]),
        Route(EVENT + "/jour-j/sur-place", action(today.walk_in), methods=["POST"]),
        Route(EVENT + "/rapport", view(report.form_page), methods=["GET"]),
        Route(EVENT + "/rapport", report.upload, methods=["POST"]),
        Route("/gestion/cycles/nouveau", view(cycles.new_form), methods=["GET"]),
        Route("/gestion/cycles/nouveau", action(cycles.create), methods=["POST"]),
        Route(CYCLE, view(cycles.cycle_page), methods=["GET"]),
        Route(CYCLE + "/modifier", view(cycles.edit_form), methods=["GET"]),
        Route(CYCLE + "/modifier", action(cycles.save), methods=["POST"]),
        Route("/gestion/chiffres", view(stats.stats_page), methods=["GET"]),
        Route("/gestion/chiffres/rapport-{year:int}.{kind}", view(stats.download), methods=["GET"]),
        Route("/gestion/journal", view(journal.journal_page), methods=["GET"]),
        Route("/gestion/reseaux", view(networks.network_list), methods=["GET"]),
        Route(NETWORK, view(networks.network_page), methods=["GET"]),
        Route(NETWORK + "/membres", action(networks.add_members), methods=["POST"]),
        Route(NETWORK + "/retirer", action(networks.remove_member), methods=["POST"]),
        Route(NETWORK + "/inviter", view(networks.invite_preview), methods=["GET"]),
        Route(NETWORK + "/inviter", action(networks.invite), methods=["POST"]),
        *newsletter_routes(),
    ]


def newsletter_routes() -> list[Route]:
    """« Ressources Info » and « Abonnés »."""
    return [
        Route("/gestion/lettre", view(newsletter.index), methods=["GET"]),
        Route("/gestion/lettre/nouvelle", view(newsletter.new_form), methods=["GET"]),
        Route("/gestion/lettre/nouvelle", action(newsletter.create), methods=["POST"]),
        Route(DRAFT, view(newsletter.draft_page), methods=["GET"]),
        Route(DRAFT, action(newsletter.update), methods=["POST"]),
        Route(DRAFT + "/apercu", view(newsletter.preview), methods=["GET"]),
        Route(DRAFT + "/essai", action(newsletter.try_out), methods=["POST"]),
        Route(DRAFT + "/envoyer", action(newsletter.send), methods=["POST"]),
        Route(ISSUE, view(newsletter.issue_page), methods=["GET"]),
        Route(ISSUE + "/pause", action(newsletter.pause), methods=["POST"]),
        Route(ISSUE + "/reprise", action(newsletter.resume), methods=["POST"]),
        Route("/gestion/abonnes", view(subscribers.list_page), methods=["GET"]),
        Route("/gestion/abonnes", action(subscribers.add), methods=["POST"]),
        Route("/gestion/abonnes/desabonner", action(subscribers.unsubscribe), methods=["POST"]),
        Route("/gestion/abonnes/export.csv", view(subscribers.export_csv), methods=["GET"]),
        Route("/gestion/abonnes/import", view(subscribers.import_form), methods=["GET"]),
        Route("/gestion/abonnes/import", subscribers.import_upload, methods=["POST"]),
    ]
