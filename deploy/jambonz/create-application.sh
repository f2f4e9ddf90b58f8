#!/usr/bin/env bash
# Crée l'application jambonz de guichet par l'API REST de jambonz (POST /v1/Applications),
# avec ses trois webhooks en POST protégés par des identifiants HTTP Basic, et la voix et la
# reconnaissance par défaut en français. Affiche l'identifiant (sid) de l'application créée.
#
# Variables obligatoires :
#   JAMBONZ_API             l'API REST de jambonz (https://jambonz.villebourg.fr/api,
#                           https://api.jambonz.cloud pour la plateforme hébergée)
#   JAMBONZ_API_KEY         une clé d'API du compte (Account > API keys)
#   GUICHET_URL             le public_url de guichet (https://guichet.villebourg.fr)
#   GUICHET_BASIC_USER      l'utilisateur HTTP Basic des webhooks ([jambonz] basic_user)
#   GUICHET_BASIC_PASSWORD  son mot de passe (secret [jambonz] basic_password)
# Variables facultatives :
#   APP_NAME (guichet), TTS_VENDOR (google), TTS_VOICE (fr-FR-Standard-A), STT_VENDOR (google)
#
# --dry-run : affiche le corps JSON (mot de passe masqué) sans rien envoyer.
set -euo pipefail

dry_run=false
case "${1:-}" in
    --dry-run) dry_run=true ;;
    "") ;;
    *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

for name in GUICHET_URL GUICHET_BASIC_USER GUICHET_BASIC_PASSWORD; do
    if [[ -z "${!name:-}" ]]; then
        echo "variable $name manquante (voir l'en-tête de $0)" >&2
        exit 2
    fi
done
if ! $dry_run; then
    for name in JAMBONZ_API JAMBONZ_API_KEY; do
        if [[ -z "${!name:-}" ]]; then
            echo "variable $name manquante (voir l'en-tête de $0)" >&2
            exit 2
        fi
    done
fi
for tool in jq curl; do
    command -v "$tool" >/dev/null || { echo "$tool est nécessaire" >&2; exit 2; }
done

guichet="${GUICHET_URL%/}"
if [[ "$guichet" != https://* && "$guichet" != http://* ]]; then
    echo "GUICHET_URL doit commencer par https:// (ou http:// sur un réseau privé)" >&2
    exit 2
fi

body() {
    jq -n \
        --arg name "${APP_NAME:-guichet}" \
        --arg guichet "$guichet" \
        --arg user "$GUICHET_BASIC_USER" \
        --arg password "$1" \
        --arg tts "${TTS_VENDOR:-google}" \
        --arg voice "${TTS_VOICE:-fr-FR-Standard-A}" \
        --arg stt "${STT_VENDOR:-google}" \
        'def hook($path): {url: ($guichet + $path), method: "post", username: $user, password: $password};
        {
            name: $name,
            call_hook: hook("/jambonz/call"),
            call_status_hook: hook("/jambonz/status"),
            messaging_hook: hook("/jambonz/sms"),
            speech_synthesis_vendor: $tts,
            speech_synthesis_language: "fr-FR",
            speech_synthesis_voice: $voice,
            speech_recognizer_vendor: $stt,
            speech_recognizer_language: "fr-FR"
        }'
}

if $dry_run; then
    body "********"
    exit 0
fi

response=$(body "$GUICHET_BASIC_PASSWORD" | curl --silent --show-error \
    --write-out '\n%{http_code}' \
    --request POST "${JAMBONZ_API%/}/v1/Applications" \
    --header "Authorization: Bearer $JAMBONZ_API_KEY" \
    --header "Content-Type: application/json" \
    --data-binary @-)
status=${response##*$'\n'}
response=${response%$'\n'*}
if [[ "$status" != 2?? ]]; then
    echo "jambonz a refusé la création (HTTP $status) : $response" >&2
    exit 1
fi
sid=$(jq -r '.sid // empty' <<<"$response" 2>/dev/null || true)
if [[ -z "$sid" ]]; then
    echo "réponse inattendue de jambonz : $response" >&2
    exit 1
fi
echo "application créée : $sid"
echo "reliez-lui les numéros de la mairie (Phone numbers > Add)."
