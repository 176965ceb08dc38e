// SPDX-License-Identifier: EUPL-1.2

/// The git commit this binary was built from: written here by `tools/release.sh` for the length of its build (the
/// line below is replaced, then restored), nil in a developer build. `efgs --version`, `/readyz` and the
/// `Gateway listening` event show it.
let buildCommit: String? = nil
