#!/usr/bin/env bash
# Installation de production de Relais (voir docs/production.md).
#
#   sudo deploy/install.sh [--domaine relais.mon-crpv.fr] [--base postgresql://…] [--sans-systeme]
#
# Crée l'utilisateur système « relais », l'environnement Python (sans les outils
# de développement), /etc/relais/relais.env (avec une clé secrète générée, droits 600),
# la base de données, la commande « relais » sur le PATH, le service systemd
# (redémarre après une panne, journal : journalctl -u relais) et la sauvegarde nocturne.
# Relancer le script ne casse rien : un fichier de réglages existant est gardé.
#
# Emplacements (variables d'environnement, valeurs par défaut) :
#   PREFIX=/opt/relais  CONFIG_DIR=/etc/relais  DATA_DIR=/var/lib/relais
#   BACKUP_DIR=/var/backups/relais  BIN_DIR=/usr/local/bin
#   SYSTEMD_DIR=/etc/systemd/system  RELAIS_USER=relais
# --sans-systeme : ni utilisateur, ni systemd, ni changement de propriétaire
# (pour essayer dans un dossier temporaire, sans être root).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${PREFIX:-/opt/relais}"
CONFIG_DIR="${CONFIG_DIR:-/etc/relais}"
DATA_DIR="${DATA_DIR:-/var/lib/relais}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/relais}"
BIN_DIR="${BIN_DIR:-/usr/local/bin}"
SYSTEMD_DIR="${SYSTEMD_DIR:-/etc/systemd/system}"
RELAIS_USER="${RELAIS_USER:-relais}"
# The system Python: the service user must be able to run it (not a pyenv under /root).
PYTHON="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
VENV="$PREFIX/venv"
CONFIG="$CONFIG_DIR/relais.env"
DOMAIN=""
DATABASE=""
SYSTEM=1

while [ $# -gt 0 ]; do
    case "$1" in
        --domaine) DOMAIN="$2"; shift 2 ;;
        --base) DATABASE="$2"; shift 2 ;;
        --sans-systeme) SYSTEM=0; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "Option inconnue : $1 (voir --help)" >&2; exit 2 ;;
    esac
done

umask 022  # the service user must read the program; settings get 600 below
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=0 PIP_NO_INPUT=1
STEP_START=$SECONDS
step() { echo "→ $1"; STEP_START=$SECONDS; }
done_step() { echo "  fait ($((SECONDS - STEP_START)) s)"; }
fail() { echo "Erreur : $1" >&2; exit 1; }
as_relais() {
    if [ "$SYSTEM" = 1 ]; then runuser -u "$RELAIS_USER" -- "$@"; else "$@"; fi
}

if [ "$SYSTEM" = 1 ] && [ "$(id -u)" != 0 ]; then
    fail "lancez ce script en root : sudo $0 $*"
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || fail "Python 3.11 ou plus récent est nécessaire (Debian 12 : sudo apt install python3)."
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null \
    || fail "le module venv manque : sudo apt install python3-venv"

if [ "$SYSTEM" = 1 ]; then
    step "Utilisateur système $RELAIS_USER"
    if ! id "$RELAIS_USER" >/dev/null 2>&1; then
        useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$RELAIS_USER"
    fi
    done_step
fi

step "Dossiers ($DATA_DIR, $BACKUP_DIR, $CONFIG_DIR)"
mkdir -p "$PREFIX" "$CONFIG_DIR" "$DATA_DIR" "$BACKUP_DIR" "$BIN_DIR"
chmod 750 "$DATA_DIR" "$BACKUP_DIR"
if [ "$SYSTEM" = 1 ]; then
    chown "$RELAIS_USER:$RELAIS_USER" "$DATA_DIR" "$BACKUP_DIR"
fi
done_step

step "Environnement Python et dépendances épinglées (1 à 3 minutes)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -qq --upgrade pip
"$VENV/bin/pip" install -qq -c "$SRC/constraints.txt" -e "$SRC"
"$VENV/bin/python" -m compileall -q "$SRC/relais" "$SRC/bot" "$SRC/mailer" "$SRC/scheduler" >/dev/null
echo "$CONFIG" > "$VENV/relais-config"
done_step

step "Réglages $CONFIG"
if [ -f "$CONFIG" ]; then
    echo "  fichier existant gardé tel quel"
else
    umask 077
    SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')"
    PUBLIC="http://localhost:8080"
    [ -z "$DOMAIN" ] || PUBLIC="https://$DOMAIN"
    {
        echo "# Réglages de Relais (modèle commenté : $SRC/.env.example)."
        echo "# Après une modification : sudo systemctl restart relais ; puis : sudo relais doctor"
        echo "ENVIRONMENT=production"
        echo "RELAIS_HOME=$DATA_DIR"
        echo "DATABASE_URL=${DATABASE:-sqlite:///relais.db}"
        echo "SECRET_KEY=$SECRET"
        echo "PUBLIC_BASE_URL=$PUBLIC"
        echo "WEB_HOST=127.0.0.1"
        echo "WEB_PORT=8080"
        echo "BACKUP_DIR=$BACKUP_DIR"
        echo "BACKUP_KEEP=14"
        echo "ORGANISATION_NAME=Centre de ressources politique de la ville"
        echo "PRIVACY_URL="
        echo "# Relais SMTP (voir docs/mail.md)"
        echo "SMTP_HOST="
        echo "SMTP_PORT=587"
        echo "SMTP_SECURITY=starttls"
        echo "SMTP_USERNAME="
        echo "SMTP_PASSWORD="
        echo "MAIL_FROM=Relais <relais@${DOMAIN:-localhost}>"
        echo "DKIM_SELECTOR="
        echo "# Bot Telegram (voir docs/bot.md)"
        echo "TELEGRAM_BOT_TOKEN="
        echo "TELEGRAM_BOT_USERNAME="
        echo "ADMIN_TELEGRAM_IDS="
    } > "$CONFIG"
    umask 022
    echo "  clé secrète générée ; fichier lisible par $RELAIS_USER seul (600)"
fi
chmod 600 "$CONFIG"
if [ "$SYSTEM" = 1 ]; then
    chown "$RELAIS_USER:$RELAIS_USER" "$CONFIG"
fi
done_step

step "Commande relais dans $BIN_DIR"
if [ "$SYSTEM" = 1 ]; then
    cat > "$BIN_DIR/relais" <<WRAPPER
#!/bin/sh
# relais : la commande de Relais (installée par deploy/install.sh).
# Lancée avec sudo, elle s'exécute sous l'utilisateur $RELAIS_USER, propriétaire des données.
if [ "\$(id -u)" = 0 ]; then
    exec runuser -u $RELAIS_USER -- $VENV/bin/relais "\$@"
fi
if [ "\$(id -un)" != "$RELAIS_USER" ]; then
    echo "Les réglages de Relais sont protégés : lancez « sudo relais \$* »." >&2
    exit 1
fi
exec $VENV/bin/relais "\$@"
WRAPPER
    chmod 755 "$BIN_DIR/relais"
else
    ln -sf "$VENV/bin/relais" "$BIN_DIR/relais"
fi
done_step

step "Base de données (création ou mise à jour)"
(cd "$DATA_DIR" && as_relais env RELAIS_CONFIG="$CONFIG" "$VENV/bin/relais" db upgrade) \
    || fail "la base n'a pas pu être préparée (message ci-dessus). PostgreSQL : créez d'abord la base (docs/production.md, « La base PostgreSQL ») et vérifiez DATABASE_URL dans $CONFIG, puis relancez ce script."
done_step

if [ "$SYSTEM" = 1 ]; then
    step "Service systemd, sauvegarde nocturne"
    for unit in relais.service relais-backup.service relais-backup.timer; do
        sed -e "s#/opt/relais/venv#$VENV#g" -e "s#/opt/relais/src#$SRC#g" \
            -e "s#/etc/relais/relais.env#$CONFIG#g" -e "s#/var/lib/relais#$DATA_DIR#g" \
            -e "s#/var/backups/relais#$BACKUP_DIR#g" -e "s#^User=relais#User=$RELAIS_USER#" \
            -e "s#^Group=relais#Group=$RELAIS_USER#" "$SRC/deploy/$unit" > "$SYSTEMD_DIR/$unit"
    done
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable --now relais.service relais-backup.timer
        systemctl restart relais.service
    else
        echo "  systemd ne tourne pas ici : unités copiées dans $SYSTEMD_DIR, démarrez-les au prochain boot"
    fi
    done_step
fi

echo
echo "Relais est installé. Étapes suivantes (docs/production.md) :"
echo "  1. complétez $CONFIG (SMTP, Telegram, PUBLIC_BASE_URL) ;"
echo "  2. sudo systemctl restart relais ;"
echo "  3. sudo relais doctor   (chaque ligne doit finir en ✓)."
