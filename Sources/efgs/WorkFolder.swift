// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Foundation

/// The work folder of `efgs demo` and `efgs benchmark` (`--work-dir`): recreated on every run, but only when it is
/// new, empty, or was made by the same command (it holds that command's marker file). Any other folder is refused
/// before anything is deleted.
enum WorkFolder {
    /// Empties (or creates) `path` for `command` and marks it; returns its absolute path.
    ///
    /// - Throws: `ValidationError` naming `option` when the folder holds files the command did not make.
    static func prepare(_ path: String, for command: String, option: String = "--work-dir") throws -> String {
        let fm = FileManager.default
        let marker = ".efgs-\(command)-work-dir"
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw ValidationError("\(option) \(path) is a file; give a new or empty folder")
            }
            let contents = try fm.contentsOfDirectory(atPath: path)
            guard contents.isEmpty || contents.contains(marker) else {
                throw ValidationError(
                    "\(option) \(path) is not empty and was not made by efgs \(command); give a new or empty folder "
                        + "(nothing was deleted)")
            }
            try fm.removeItem(atPath: path)
        }
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try Data().write(to: URL(fileURLWithPath: absolute + "/" + marker))
        return absolute
    }
}
