// source "path": a local directory as a source, for examples, tests and
// repositories checked out by something else. The directory is read in place;
// its revision is a content hash, so an unchanged tree renders nothing again.
#include <driftless/export.hpp>
#include <driftless/toolkit/files.hpp>
#include <driftless/toolkit/settings.hpp>

namespace {

using namespace driftless;

class PathSource : public Source {
 public:
  explicit PathSource(std::filesystem::path root) : root_(std::move(root)) {}

  Result<Artifact> fetch(Context& context, const Artifact* previous) override {
    std::error_code ec;
    auto root = std::filesystem::canonical(root_, ec);
    if (ec || !std::filesystem::is_directory(root, ec))
      return fail(ErrorCode::not_found, "directory " + root_.string() + " does not exist or is not a directory");
    Artifact artifact;
    artifact.root = root;
    artifact.folder_ids = hash_folders(root);
    artifact.revision = "sha256:" + artifact.folder_id("");
    if (previous && previous->revision == artifact.revision) return *previous;
    artifact.metadata["path"] = root.string();
    context.logger().debug("read directory", {{"path", root.string()}, {"revision", artifact.revision}});
    return artifact;
  }

 private:
  std::filesystem::path root_;
};

struct Settings {
  std::string path;
};

const SettingsSchema<Settings>& schema() {
  static const auto schema = SettingsSchema<Settings>().key(
      ConfigKey("path", ConfigType::path, "Directory to read; relative to the config file's folder.").required(),
      &Settings::path);
  return schema;
}

class PathSourceFactory : public SourceFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return schema().keys(); }
  Result<std::unique_ptr<Source>> create(const Value& config) const override {
    auto settings = schema().read(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Source>(std::make_unique<PathSource>(settings->path));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(PathSourceFactory, "path", "source", "0.1.0", "A local directory, read in place")
