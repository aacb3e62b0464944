#!/bin/sh
# Installs injit's sidecar injector in the current kubectl context:
# a serving certificate for the Service (a fresh CA), the config, the
# server, and then the webhook registration with the CA as its caBundle.
#
#   deploy/install.sh [--no-webhook]
#
# --no-webhook installs everything but the registration: the server runs,
# and no pod is injected until deploy/webhook.yaml is applied.
set -eu
cd "$(dirname "$0")/.."
injit=${INJIT:-injit}
namespace=istio-system
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"
"$injit" certs --service injit-webhook --namespace "$namespace" --out-dir "$certs" >/dev/null
kubectl -n "$namespace" create secret tls injit-webhook-tls \
    --cert="$certs/tls.crt" --key="$certs/tls.key" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f deploy/configmap.yaml -f deploy/injit.yaml
kubectl -n "$namespace" rollout status deployment/injit-webhook --timeout=120s
if [ "${1:-}" != "--no-webhook" ]; then
    ca=$(base64 <"$certs/ca.crt" | tr -d '\n')
    sed "s|caBundle: \"\"|caBundle: $ca|" deploy/webhook.yaml | kubectl apply -f -
fi
