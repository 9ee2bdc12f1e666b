#!/usr/bin/env bash
# Sends a correctly signed incoming-call webhook to a running Ovrsee WebhookApi, prints the TwiML,
# then completes the call with a signed "completed" status callback.
#
#   scripts/test-incoming-call.sh [--to +15005550006] [--from +14155550100] [--url http://127.0.0.1:5180] [--public-url https://x.ngrok.app]
#
# The Auth Token comes from TWILIO_AUTH_TOKEN, else the AppHost's local dev token in
# .ovrsee/dev-twilio-auth-token. The URL defaults to the AppHost's http://127.0.0.1:5180.
# With a public URL, the request is still sent locally but signed for the URL Twilio would call.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

to="+15005550006"; from="+14155550100"; url=""; public_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --to) to="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --url) url="$2"; shift 2 ;;
    --public-url) public_url="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

# The AppHost's default WebhookApi address; --url for another one, --public-url when a tunnel is in front.
url="${url:-http://127.0.0.1:5180}"

token="${TWILIO_AUTH_TOKEN:-}"
if [ -z "$token" ] && [ -f "$root/.ovrsee/dev-twilio-auth-token" ]; then
  token=$(cat "$root/.ovrsee/dev-twilio-auth-token")
fi
if [ -z "$token" ]; then
  echo "No Auth Token: set TWILIO_AUTH_TOKEN or start the AppHost once (it writes .ovrsee/dev-twilio-auth-token)." >&2
  exit 1
fi

base="${url%/}"
signed_base="${public_url:-$url}"
signed_base="${signed_base%/}"
call_sid="CA$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

# Posts Twilio's parameters to a webhook, signed as Twilio signs: HMAC-SHA1 over the URL it
# calls followed by each name and value, sorted by name.
post_signed() {
  local path="$1"; shift
  local data="$signed_base$path" p
  local curl_args=()
  local sorted=()
  mapfile -t sorted < <(printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1)
  for p in "${sorted[@]}"; do
    data+="${p%%=*}${p#*=}"
    curl_args+=(--data-urlencode "$p")
  done
  local signature
  signature=$(printf '%s' "$data" | openssl dgst -sha1 -hmac "$token" -binary | base64)
  echo "POST $base$path (signed for $signed_base$path, CallSid $call_sid)" >&2
  curl -sS --fail-with-body -X POST "$base$path" -H "X-Twilio-Signature: $signature" "${curl_args[@]}" -w '\n'
}

call=(
  "AccountSid=AC00000000000000000000000000000000"
  "ApiVersion=2010-04-01"
  "CallSid=$call_sid"
)
numbers=("Called=$to" "Caller=$from" "Direction=inbound" "From=$from" "To=$to")

# WebhookRoutes.IncomingCall and .CallStatus (Ovrsee.PublicUrls/WebhookRoutes.cs, their one home): a
# shell script cannot read them, so Ovrsee.Tests/Deploy/WebhookRouteCopiesTests fails if these differ.
incoming_call_route=/api/aloha/webhooks/incoming-call
call_status_route=/api/aloha/webhooks/call-status

# The incoming call: prints the TwiML we answer with.
post_signed "$incoming_call_route" "${call[@]}" "CallStatus=ringing" "${numbers[@]}"

# Then the caller hangs up, as Twilio reports it, so the call does not stay "ringing" forever.
timestamp=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S +0000')
post_signed "$call_status_route" "${call[@]}" "CallStatus=completed" "${numbers[@]}" \
  "CallDuration=5" "Duration=1" "SequenceNumber=1" "Timestamp=$timestamp" >/dev/null
echo "Call $call_sid completed (5 s)." >&2
