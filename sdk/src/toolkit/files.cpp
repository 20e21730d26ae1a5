#include "driftless/toolkit/files.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "driftless/toolkit/hash.hpp"

namespace fs = std::filesystem;

namespace driftless {
namespace {

bool inside(const fs::path& root, const fs::path& candidate) {
  auto r = root.begin();
  auto c = candidate.begin();
  for (; r != root.end(); ++r, ++c) {
    if (r->empty()) continue;  // trailing separator
    if (c == candidate.end() || *r != *c) return false;
  }
  return true;
}

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool ends_with_any(const std::string& name, const std::vector<std::string>& extensions) {
  return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& ext) {
    return name.size() >= ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  });
}

// What a file that is neither a regular file nor a folder is, for messages.
std::string special_kind(fs::file_type type) {
  switch (type) {
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    default: return "not a regular file";
  }
}

std::string relative_text(const fs::path& root, const fs::path& p) { return p.lexically_relative(root).generic_string(); }

void walk(const fs::path& root, const fs::path& dir, const FileFilter& filter,
          std::set<fs::path>& visited, std::vector<std::string>& out, std::vector<Diagnostic>& diagnostics) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& entry : entries) {
    if (hidden(entry.path())) continue;
    fs::path target = entry.path();
    if (entry.is_symlink(ec)) {
      fs::path resolved = fs::weakly_canonical(entry.path(), ec);
      if (ec || !inside(root, resolved)) {
        diagnostics.push_back({Severity::error, "symlink points outside the artifact; it is not read",
                               relative_text(root, entry.path()), 0, {}});
        continue;
      }
      if (!fs::exists(resolved, ec)) {
        diagnostics.push_back({Severity::error, "symlink points to nothing", relative_text(root, entry.path()), 0, {}});
        continue;
      }
      target = resolved;
    }
    const std::string relative = relative_text(root, entry.path());
    const fs::file_type type = fs::status(target, ec).type();
    if (type != fs::file_type::directory && type != fs::file_type::regular) {
      // Opening a FIFO would wait forever for a writer; a device is no manifest.
      diagnostics.push_back({Severity::warning, "the entry is " + special_kind(type) + "; it is not read", relative, 0, {}});
      continue;
    }
    if (type == fs::file_type::directory) {
      if (filter.enter && !filter.enter(relative)) continue;
      fs::path canonical = fs::canonical(target, ec);
      if (!visited.insert(canonical).second) {
        diagnostics.push_back({Severity::error, "symlink loop: this folder was already read",
                               relative_text(root, entry.path()), 0, {}});
        continue;
      }
      walk(root, entry.path(), filter, visited, out, diagnostics);
    } else if ((filter.extensions.empty() || ends_with_any(entry.path().filename().string(), filter.extensions)) &&
               (!filter.keep || filter.keep(relative))) {
      out.push_back(relative);
    }
  }
}

std::string folder_hash(const fs::path& root, const fs::path& dir, std::map<std::string, std::string>& out) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (!hidden(entry.path())) entries.push_back(entry);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  Sha256 h;
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    std::string id;
    char type;
    if (entry.is_symlink(ec)) {
      type = 'l';
      id = sha256_hex(fs::read_symlink(entry.path(), ec).string());
    } else if (entry.is_directory(ec)) {
      type = 'd';
      id = folder_hash(root, entry.path(), out);
    } else if (!entry.is_regular_file(ec)) {
      type = 's';  // a FIFO, socket or device: never opened (a FIFO would block), counted by its name only
    } else {
      type = 'f';
      std::ifstream in(entry.path(), std::ios::binary);
      Sha256 file;
      char buffer[65536];
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) file.update(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
      id = file.hex();
    }
    h.update(std::string(1, type) + " " + name + " " + id + "\n");
  }
  std::string id = h.hex();
  std::string rel = dir == root ? std::string() : relative_text(root, dir);
  out[rel] = id;
  return id;
}

}  // namespace

std::optional<std::string> join_inside(std::string_view folder, std::string_view relative) {
  if (!relative.empty() && relative.front() == '/') return std::nullopt;
  std::vector<std::string_view> parts;
  for (std::string_view text : {folder, relative}) {
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = std::min(text.find('/', start), text.size());
      const std::string_view part = text.substr(start, end - start);
      if (part == "..") {
        if (parts.empty()) return std::nullopt;
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = end + 1;
    }
  }
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<fs::path> resolve_inside(const fs::path& root, const std::string& relative) {
  fs::path rel(relative);
  if (rel.is_absolute())
    return fail(ErrorCode::invalid_input, "'" + relative + "' is an absolute path; use a path inside the artifact");
  for (const auto& part : rel)
    if (part == "..") return fail(ErrorCode::invalid_input, "'" + relative + "' contains '..'; paths must stay inside the artifact");
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return fail(ErrorCode::internal, "artifact root " + root.string() + " is not readable");
  fs::path resolved = fs::weakly_canonical(canonical_root / rel, ec);
  if (ec) return fail(ErrorCode::invalid_input, "'" + relative + "' cannot be resolved: " + ec.message());
  if (!inside(canonical_root, resolved))
    return fail(ErrorCode::invalid_input, "'" + relative + "' escapes the artifact through a symlink");
  if (!fs::exists(resolved, ec)) return fail(ErrorCode::not_found, "'" + relative + "' does not exist");
  return resolved;
}

std::vector<std::string> list_files(const fs::path& root, const std::string& folder, const std::vector<std::string>& extensions,
                                    std::vector<Diagnostic>& diagnostics) {
  return walk_files(root, folder, FileFilter{extensions, {}, {}}, diagnostics);
}

std::vector<std::string> walk_files(const fs::path& root, const std::string& folder, const FileFilter& filter,
                                    std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return out;
  auto start = resolve_inside(canonical_root, folder);
  if (!start.ok()) {
    diagnostics.push_back({Severity::error, start.error().message, folder, 0, {}});
    return out;
  }
  std::set<fs::path> visited{*start};
  walk(canonical_root, *start, filter, visited, out, diagnostics);
  return out;
}

Result<std::string> read_file_capped(const fs::path& file, std::uintmax_t max_bytes) {
  std::error_code ec;
  const fs::file_type type = fs::status(file, ec).type();
  if (!ec && type != fs::file_type::regular)
    return fail(ErrorCode::invalid_input, file.string() + " is " + special_kind(type) + "; it is not read");
  auto size = fs::file_size(file, ec);
  if (ec) return fail(ErrorCode::not_found, "cannot read " + file.string() + ": " + ec.message());
  if (size > max_bytes)
    return fail(ErrorCode::invalid_input, "file is " + std::to_string(size) + " bytes, over the limit of " +
                                              std::to_string(max_bytes) + " bytes");
  std::ifstream in(file, std::ios::binary);
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  content.resize(static_cast<std::size_t>(in.gcount()));
  return content;
}

Result<std::string> read_inside(const fs::path& root, const std::string& relative, std::uintmax_t max_bytes) {
  auto resolved = resolve_inside(root, relative);
  if (!resolved.ok()) return resolved.error();
  auto text = read_file_capped(*resolved, max_bytes);
  if (!text.ok()) return fail(text.error().code, "'" + relative + "': " + text.error().message);
  return text;
}

std::map<std::string, std::string> hash_folders(const fs::path& root) {
  std::map<std::string, std::string> out;
  folder_hash(root, root, out);
  return out;
}

}  // namespace driftless
