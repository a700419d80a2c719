#!/usr/bin/env bash
# The browser the web board's tests drive (tests/web/): Debian's Chromium and a font, without
# which its screenshots come out blank. Playwright's own browser download cannot work where
# only the package registries are reachable; Playwright from PyPI drives this one instead.
#
# Installs them with apt-get when they are missing and this machine allows it (root, apt-get
# present); otherwise says so and exits 0: the browser tests then skip, naming the reason.
set -uo pipefail

have_browser() { command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; }
have_font() { ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; }

if have_browser && have_font; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here: the browser tests will be skipped (install chromium and fonts-dejavu-core)" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-browser: not root: the browser tests will be skipped (sudo apt-get install chromium fonts-dejavu-core)" >&2
  exit 0
fi
echo "install-browser: installing chromium and fonts-dejavu-core with apt-get (about 30 s)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another install may hold apt's lock for a while (a shared machine): wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=300)
if ! { "${APT[@]}" update -qq && "${APT[@]}" install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }; then
  echo "install-browser: apt-get failed: the browser tests will be skipped" >&2
fi
exit 0
