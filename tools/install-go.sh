#!/usr/bin/env bash
# Installs what the Go generators build with, from Debian's archive (as root,
# on Debian 12 "bookworm"). There is no Go module proxy: the builds run in
# GOPATH mode against Debian's Go sources under /usr/share/gocode.
#   golang-1.23-go                       Go 1.23, from bookworm-backports
#   golang-github-masterminds-sprig-dev  sprig 3.2.3 and its dependencies
# Does nothing when both are there.
set -euo pipefail
go=/usr/lib/go-1.23/bin/go
sprig=/usr/share/gocode/src/github.com/Masterminds/sprig/functions.go
[ -x "$go" ] && [ -f "$sprig" ] && exit 0
# The system's sources plus bookworm-backports on the same mirror, for this
# run only (apt's sources are left as they were).
uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "install-go.sh: no Debian mirror in the apt sources" >&2; exit 1; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
cat /etc/apt/sources.list >"$list" 2>/dev/null || true
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bookworm-backports main" >>"$list"
export DEBIAN_FRONTEND=noninteractive
apt-get -o Dir::Etc::SourceList="$list" update -qq
apt-get -o Dir::Etc::SourceList="$list" install -y -qq --no-install-recommends \
    golang-1.23-go golang-github-masterminds-sprig-dev >/dev/null
"$go" version
