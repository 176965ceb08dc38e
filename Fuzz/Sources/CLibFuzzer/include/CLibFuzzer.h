// SPDX-License-Identifier: EUPL-1.2

// libFuzzer's driver entry (compiler-rt FuzzerInterface.h), linked in by `-sanitize=fuzzer`.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv` over `callback` (LLVM 12 and later).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
