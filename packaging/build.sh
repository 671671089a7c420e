#!/usr/bin/env bash
# Build the one-folder application into dist/liquid-ecg with PyInstaller, add the
# desktop entry and icon, and run the smoke test on the result.
#
#   bash packaging/build.sh            # after the README's setup command
#
# Output: dist/liquid-ecg/ (about 750 MB). Copy the folder anywhere and run
# dist/liquid-ecg/liquid-ecg; dist/liquid-ecg/install-desktop-entry.sh adds it
# to the desktop menu of the current user.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
python=.venv/bin/python
if [ ! -x "$python" ]; then
    echo "packaging/build.sh: $repo_root/.venv is missing; run the README's setup command first." >&2
    exit 1
fi

"$python" -m pip install --progress-bar off -e ".[test]"
"$python" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/liquid-ecg.spec

bundle=dist/liquid-ecg
cp packaging/liquid-ecg.desktop "$bundle/"
cp resources/icons/liquid-ecg-256.png "$bundle/liquid-ecg.png"
cp packaging/install-desktop-entry.sh "$bundle/"
chmod +x "$bundle/install-desktop-entry.sh"

bash packaging/smoke_test.sh "$bundle"
