#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Print the path of a working python interpreter of version $1 (e.g. 3.10), or nothing.
# Tries pythonX.Y on PATH (a pyenv shim may exist but fail), then pyenv's installed versions.
want=${1:?usage: find_python.sh X.Y}
check() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; }
for candidate in "python$want" "$(pyenv root 2>/dev/null)"/versions/"$want".*/bin/python"$want"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if check "$path"; then echo "$path"; exit 0; fi
done
exit 0
