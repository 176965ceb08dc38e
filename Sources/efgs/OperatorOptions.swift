// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway

/// `--operator` and `--ticket` of the commands that change the trust store or the federation (the operator audit).
struct OperatorOptions: ParsableArguments {
    @Option(help: "Who runs the command (recorded in the operator audit; default EFGS_OPERATOR, else the OS user).")
    var `operator`: String?
    @Option(help: "The change ticket this command carries out (recorded in the operator audit).")
    var ticket: String?

    /// The operator context of the audit record.
    var context: OperatorContext { .current(name: `operator`, ticket: ticket) }
}
