#!/usr/bin/env bash
# Install the Debian packages named on the command line that are missing, when this machine can:
# Debian/Ubuntu with apt-get, as root or with password-less sudo. Otherwise say what is missing and
# carry on: the tests that need a missing package skip themselves with the reason.
set -u
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian system; install the equivalents of: ${missing[*]} (tests needing them are skipped)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif sudo -n true 2>/dev/null; then sudo="sudo -n"
else
  echo "note: missing Debian packages: ${missing[*]}; run: sudo apt-get install ${missing[*]} (tests needing them are skipped)"
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null 2>&1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "note: could not install ${missing[*]} (tests needing them are skipped)"
fi
exit 0
