#!/usr/bin/env bash
# Add Liquid ECG to the current user's desktop menu, pointing at this folder's executable.
set -euo pipefail

bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data_home/applications" "$data_home/icons/hicolor/256x256/apps"
cp "$bundle/liquid-ecg.png" "$data_home/icons/hicolor/256x256/apps/liquid-ecg.png"
sed "s|^Exec=liquid-ecg|Exec=\"$bundle/liquid-ecg\"|" "$bundle/liquid-ecg.desktop" \
    > "$data_home/applications/liquid-ecg.desktop"
echo "Installed $data_home/applications/liquid-ecg.desktop"
