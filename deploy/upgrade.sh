#!/usr/bin/env bash
# Mettre Relais à jour en une commande (voir docs/production.md) :
#
#   sudo /opt/relais/src/deploy/upgrade.sh [--sans-git] [--sans-systeme]
#
# Récupère la nouvelle version (git pull), réinstalle les dépendances épinglées,
# sauvegarde la base, applique les migrations et redémarre le service. Un seul
# Relais tourne à la fois : c'est le service qui est redémarré, pas un second lancé.
# Mêmes variables d'emplacement que deploy/install.sh.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${PREFIX:-/opt/relais}"
RELAIS_USER="${RELAIS_USER:-relais}"
VENV="$PREFIX/venv"
GIT=1
SYSTEM=1

while [ $# -gt 0 ]; do
    case "$1" in
        --sans-git) GIT=0; shift ;;
        --sans-systeme) SYSTEM=0; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "Option inconnue : $1 (voir --help)" >&2; exit 2 ;;
    esac
done

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=0 PIP_NO_INPUT=1
fail() { echo "Erreur : $1" >&2; exit 1; }
step() { echo "→ $1"; }
[ -f "$VENV/relais-config" ] || fail "Relais n'est pas installé dans $PREFIX : lancez d'abord deploy/install.sh."
CONFIG="$(cat "$VENV/relais-config")"
as_relais() {
    if [ "$SYSTEM" = 1 ]; then runuser -u "$RELAIS_USER" -- "$@"; else "$@"; fi
}
relais() { (cd / && as_relais env RELAIS_CONFIG="$CONFIG" "$VENV/bin/relais" "$@"); }

if [ "$SYSTEM" = 1 ] && [ "$(id -u)" != 0 ]; then
    fail "lancez ce script en root : sudo $0 $*"
fi
if [ "$GIT" = 1 ] && [ -d "$SRC/.git" ]; then
    step "Nouvelle version (git pull)"
    git -C "$SRC" pull --ff-only --quiet
fi
step "Dépendances épinglées"
"$VENV/bin/pip" install -qq -c "$SRC/constraints.txt" -e "$SRC"
"$VENV/bin/python" -m compileall -q "$SRC/relais" "$SRC/bot" "$SRC/mailer" "$SRC/scheduler" >/dev/null
step "Sauvegarde avant migration"
relais backup
step "Migrations"
relais db upgrade
if [ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ]; then
    step "Redémarrage du service"
    systemctl restart relais.service
    systemctl is-active --quiet relais.service || fail "le service ne redémarre pas : journalctl -u relais -n 50"
fi
echo "Relais est à jour. Vérifiez : sudo relais doctor"
