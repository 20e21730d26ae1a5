// Reading a repository's files safely: every path stays inside the artifact
// (no "..", no symlink pointing out, no loops), and sizes are capped. Every
// plugin that reads files from an artifact goes through these helpers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/result.hpp"

namespace driftless {

/// `relative` joined to `folder` (both '/'-separated and relative to an
/// artifact's root) and normalised: "" for the root, no "." or ".." segments,
/// no trailing '/'. Nullopt when `relative` is absolute or the result would
/// be above the root. Lexical only: resolve_inside follows symlinks when a
/// file is read.
std::optional<std::string> join_inside(std::string_view folder, std::string_view relative);

/// `relative` ('/'-separated, from a config or a repository file) joined to
/// `root`, with every symlink resolved, guaranteed to stay inside `root`.
/// Errors name the path and say why ("escapes the artifact", "does not exist").
Result<std::filesystem::path> resolve_inside(const std::filesystem::path& root, const std::string& relative);

/// Files below `root/folder` whose name ends with one of `extensions`
/// (".yaml"), as paths relative to root, in byte order. Hidden files and
/// folders (".git") are skipped; symlinks that point outside root or form
/// loops are reported as error diagnostics and skipped.
std::vector<std::string> list_files(const std::filesystem::path& root, const std::string& folder,
                                    const std::vector<std::string>& extensions, std::vector<Diagnostic>& diagnostics);

/// Which entries walk_files visits; every callback gets a path relative to root.
struct FileFilter {
  /// File name endings to keep (".yaml"); empty keeps every file.
  std::vector<std::string> extensions;
  /// False skips a folder and everything below it; unset enters every folder.
  std::function<bool(const std::string& folder)> enter;
  /// False skips a file; unset keeps every file that has a kept ending.
  std::function<bool(const std::string& file)> keep;
};

/// As list_files, with folders pruned and files chosen by `filter`.
std::vector<std::string> walk_files(const std::filesystem::path& root, const std::string& folder, const FileFilter& filter,
                                    std::vector<Diagnostic>& diagnostics);

/// The content of a file, refused when larger than `max_bytes`.
Result<std::string> read_file_capped(const std::filesystem::path& file, std::uintmax_t max_bytes);

/// The content of `relative`, a file of the artifact at `root`: resolved
/// with resolve_inside (no "..", no symlink out) and refused when larger than
/// `max_bytes`. Errors name the path.
Result<std::string> read_inside(const std::filesystem::path& root, const std::string& relative, std::uintmax_t max_bytes);

/// Content ids of every folder below root ("" = root): a SHA-256 over names,
/// types and contents, so that equal ids mean equal trees. Symlinks count by
/// their target text; hidden entries (".git") are left out.
std::map<std::string, std::string> hash_folders(const std::filesystem::path& root);

}  // namespace driftless
