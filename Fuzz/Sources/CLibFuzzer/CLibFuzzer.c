// SPDX-License-Identifier: EUPL-1.2

// Declarations only (include/CLibFuzzer.h): libFuzzer itself comes from the toolchain's compiler-rt.
#include "CLibFuzzer.h"
