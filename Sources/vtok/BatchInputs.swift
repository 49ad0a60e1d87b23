// Which inputs a batch encodes and where each stream goes: arguments, folders (searched recursively for video
// files) and manifests, in that order, each named DIR/<name>.vtok; then the share --shard picks.
import Foundation

/// One input of a batch and its output path.
struct BatchItem: Sendable, Equatable {
    var position: Int        // in the whole list, before sharding
    var input: String
    var output: String
}

enum BatchInputs {
    /// File name extensions a folder is searched for (lower case).
    static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "webm", "avi", "ts", "mts", "m2ts", "mpg",
                                               "mpeg", "flv", "nut", "y4m", "ogv", "gif", "wmv", "3gp", "mxf", "dv"]

    /// The full, ordered list of items for `arguments` and `manifest`, with unique outputs under `outputDir`.
    static func expand(arguments: [String], manifest: String?, outputDir: String) throws -> [BatchItem] {
        var entries: [(input: String, output: String?)] = []    // output: a path relative to outputDir, if fixed
        for arg in arguments {
            if arg == "-" { throw CLIError("'-' (stdin) cannot be one input of a batch") }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue {
                for rel in try videoFiles(in: arg) {
                    entries.append((arg + "/" + rel, replacingExtension(rel)))
                }
            } else {
                entries.append((arg, nil))
            }
        }
        if let manifest { entries += try readManifest(manifest).map { ($0.input, $0.output) } }

        var used = Set<String>()
        var items: [BatchItem] = []
        for (i, e) in entries.enumerated() {
            let wanted = e.output ?? replacingExtension(baseName(e.input))
            var name = wanted
            var n = 2
            while used.contains(name) {             // two inputs of one base name: clip.vtok, clip-2.vtok, ...
                name = replacingExtension(wanted, with: "-\(n).vtok")
                n += 1
            }
            used.insert(name)
            items.append(BatchItem(position: i, input: e.input, output: outputDir + "/" + name))
        }
        return items
    }

    /// The items of share `index` of `count`.
    static func shard(_ items: [BatchItem], index: Int, count: Int) -> [BatchItem] {
        items.filter { $0.position % count == index }
    }

    /// Regular files under `dir` with a video extension, as sorted relative paths; hidden entries are skipped.
    static func videoFiles(in dir: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else {
            throw CLIError("cannot read the folder '\(dir)'")
        }
        var found: [String] = []
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { walker.skipDescendants(); continue }
            let ext = (name as NSString).pathExtension.lowercased()
            guard videoExtensions.contains(ext) else { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                found.append(rel)
            }
        }
        return found.sorted()
    }

    /// A manifest: text (a path or URL per line) or JSON Lines ({"input": ..., "output": ...}); a line that starts
    /// with '{' is JSON. Errors name the line.
    static func readManifest(_ path: String) throws -> [(input: String, output: String?)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the manifest '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(path): the manifest is not UTF-8") }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || p.contains("://") || base.isEmpty ? p : base + "/" + p
        }
        var out: [(input: String, output: String?)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("{") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let input = (object["input"] ?? object["path"] ?? object["url"]) as? String, !input.isEmpty
                else { throw CLIError("\(path):\(n + 1): not a JSON object with a string \"input\"") }
                var output: String?
                if let o = object["output"] {
                    guard let s = o as? String, !s.isEmpty, !s.hasPrefix("/"), !s.split(separator: "/").contains("..") else {
                        throw CLIError("\(path):\(n + 1): \"output\" must be a file name inside the output folder")
                    }
                    output = s.hasSuffix(".vtok") ? s : s + ".vtok"
                }
                out.append((resolve(input), output))
            } else {
                out.append((resolve(line), nil))
            }
        }
        return out
    }

    /// The last path component of a path or URL, without query or fragment.
    static func baseName(_ input: String) -> String {
        var s = Substring(input)
        if let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }), input.contains("://") { s = s[..<q] }
        while s.hasSuffix("/") { s = s.dropLast() }
        let name = s.split(separator: "/").last.map(String.init) ?? ""
        return name.isEmpty || name == "." || name == ".." ? "input" : name
    }

    /// `clip.mp4` -> `clip.vtok` (keeping folders); a name without extension gets `.vtok` added.
    static func replacingExtension(_ name: String, with suffix: String = ".vtok") -> String {
        let ns = name as NSString
        let last = ns.lastPathComponent
        let stem = (last as NSString).deletingPathExtension
        let dir = ns.deletingLastPathComponent
        let file = (stem.isEmpty ? last : stem) + suffix
        return dir.isEmpty ? file : dir + "/" + file
    }
}
