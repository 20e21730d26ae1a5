#include "tarball.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

namespace driftless {
namespace {

using Reader = std::unique_ptr<archive, decltype(&archive_read_free)>;

Reader gzip_tar_reader() {
  Reader reader(archive_read_new(), &archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  return reader;
}

// "./a/b/" -> "a/b"; "" for the archive's root entry.
std::string clean_path(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path == "." ? "" : path;
}

// libarchive has no message for some failures: archive_error_string() is then
// null (found by tests/fuzz/tarball).
std::string error_of(archive* reader) {
  const char* message = archive_error_string(reader);
  return message ? message : "no details from libarchive";
}

// Reads every entry of an opened archive into `writer`.
Result<void> unpack_entries(archive* reader, const std::string& name, SnapshotWriter& writer, const TarballLimits& limits) {
  auto refuse = [&](const std::string& entry, const std::string& why) {
    return fail(ErrorCode::invalid_input, name + ": entry '" + entry + "' refused: " + why + "; nothing was unpacked");
  };
  std::uint64_t entries = 0, bytes = 0;
  archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(reader, &entry)) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(entry);
    const std::string written = raw ? raw : "";
    if (++entries > limits.max_entries)
      return refuse(written, "the archive has more than " + limits.entries_key + " (" + std::to_string(limits.max_entries) +
                                 ") entries");
    if (!written.empty() && written[0] == '/') return refuse(written, "absolute path");
    const std::string path = clean_path(written);
    if (archive_entry_hardlink(entry)) return refuse(written, "hard links are not accepted");
    const mode_t type = archive_entry_filetype(entry);
    Result<void> r;
    if (type == AE_IFDIR) {
      if (!path.empty()) r = writer.make_directory(path);
    } else if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      r = writer.make_symlink(path, target ? target : "");
    } else if (type == AE_IFREG) {
      std::string content;
      std::vector<char> buffer(65536);
      la_ssize_t n;
      while ((n = archive_read_data(reader, buffer.data(), buffer.size())) > 0) {
        bytes += static_cast<std::uint64_t>(n);
        if (bytes > limits.max_bytes)
          return refuse(written, "the unpacked size passes " + limits.bytes_key + " (" + std::to_string(limits.max_bytes) +
                                     " bytes)");
        content.append(buffer.data(), static_cast<std::size_t>(n));
      }
      if (n < 0) return fail(ErrorCode::invalid_input, name + ": damaged archive at '" + written + "': " + error_of(reader));
      r = writer.write_file(path, content, (archive_entry_perm(entry) & 0111) != 0);
    } else {
      return refuse(written, "only files, folders and symlinks are accepted (devices, fifos and sockets are not)");
    }
    if (!r.ok()) return refuse(written, r.error().message);
  }
  if (status != ARCHIVE_EOF) return fail(ErrorCode::invalid_input, name + " is damaged or truncated: " + error_of(reader));
  return {};
}

}  // namespace

bool is_tarball(const std::string& key) {
  auto ends = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".tar.gz") || ends(".tgz");
}

Result<void> unpack_tarball(const std::string& archive, const std::string& name, SnapshotWriter& writer,
                            const TarballLimits& limits) {
  Reader reader = gzip_tar_reader();
  if (archive_read_open_memory(reader.get(), archive.data(), archive.size()) != ARCHIVE_OK)
    return fail(ErrorCode::invalid_input, name + " is not a gzip-compressed tar archive: " + error_of(reader.get()));
  return unpack_entries(reader.get(), name, writer, limits);
}

Result<void> unpack_tarball_file(const std::filesystem::path& archive, const std::string& name, SnapshotWriter& writer,
                                 const TarballLimits& limits) {
  Reader reader = gzip_tar_reader();
  if (archive_read_open_filename(reader.get(), archive.c_str(), 65536) != ARCHIVE_OK)
    return fail(ErrorCode::invalid_input, name + " is not a gzip-compressed tar archive: " + error_of(reader.get()));
  return unpack_entries(reader.get(), name, writer, limits);
}

Result<std::filesystem::path> commit_unpacked(SnapshotWriter& writer, const std::string& name) {
  std::vector<std::string> removed;
  auto root = writer.commit(removed);
  if (!root.ok()) return root.error();
  if (!removed.empty()) {
    remove_read_only_tree(*root);
    return fail(ErrorCode::invalid_input, name + ": symlink '" + removed.front() +
                                              "' points outside the archive or to nothing; nothing was unpacked");
  }
  return root;
}

}  // namespace driftless
