// sink "dir": writes each object to <path>/<namespace or _cluster>/<file>.yaml
// (for previews and the rendered-manifests pattern), one file per object as
// Kubernetes identifies it (API group, kind, namespace, name). Changed files
// are written all or nothing (staged_writes.hpp); Secrets only the owner can
// read. Files of objects that left the set are removed once every write
// succeeded, and only files the pipeline wrote (listed in .driftless-inventory
// with the pipeline's name: pipelines may share a folder, never a file).
#include <driftless/export.hpp>
#include <driftless/toolkit/diff.hpp>
#include <driftless/toolkit/files.hpp>
#include <driftless/toolkit/manifests.hpp>
#include <driftless/toolkit/settings.hpp>
#include <driftless/toolkit/yaml.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "staged_writes.hpp"

namespace {

using namespace driftless;
using driftless::dir_sink::StagedWrites;
namespace fs = std::filesystem;

constexpr const char* kInventory = ".driftless-inventory";
constexpr mode_t kFileMode = 0666;    // less the umask, as any tool writes files
constexpr mode_t kSecretMode = 0600;  // a Secret's values are for the owner only

// Kubernetes names and API groups are DNS labels/subdomains; anything else
// could escape the folder ("../x") and is refused rather than sanitised.
bool safe_name(const std::string& s) {
  if (s.empty() || s.size() > 253 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool safe_kind(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The name, or the metadata.generateName prefix of an object the API server names.
std::string name_or_prefix(const KubeObject& object) {
  if (!object.name().empty()) return object.name();
  const Value* metadata = object.body.find("metadata");
  return metadata ? metadata->string_or("generateName") : "";
}

// "shop/configmap-settings.yaml" for the core group, "shop/deployment.apps_web.yaml"
// otherwise (kubectl's "deployment.apps/web"). Kinds are alphanumeric and
// names and groups never hold '_', so two objects share a file only when
// they are the same object or their kinds differ only in case.
// An object the API server names at creation (metadata.generateName, as hook
// Jobs have) gets "~" after its prefix, a character no name holds:
// "shop/job.batch_migrate-~.yaml".
std::string file_of(const KubeObject& object) {
  const std::string ns = object.namespace_name();
  const std::string group = object.group();
  const std::string name = name_or_prefix(object) + (object.name().empty() ? "~" : "");
  return (ns.empty() ? "_cluster" : ns) + "/" + lower(object.kind()) + (group.empty() ? "-" : "." + group + "_") + name +
         ".yaml";
}

bool is_secret(const KubeObject& object) { return object.kind() == "Secret" && object.group().empty(); }

std::string where(const KubeObject& object) {
  return object.api_version() + " " + object.id() + " (" + place_of(object.origin) + ")";
}

// .driftless-inventory: a line "<file>\t<pipeline>" per file a pipeline wrote.
// Lines without a pipeline were written when a folder had one pipeline; the
// first pipeline to sync claims them.
class Inventory {
 public:
  static Inventory read(const fs::path& dir, const std::string& pipeline) {
    Inventory inventory;
    std::ifstream in(dir / kInventory);
    std::stringstream text;
    text << in.rdbuf();
    inventory.text_ = text.str();
    std::istringstream lines(inventory.text_);
    for (std::string line; std::getline(lines, line);) {
      const auto tab = line.find('\t');
      const std::string file = line.substr(0, tab);
      if (file.empty() || file.find("..") != std::string::npos || file[0] == '/') continue;
      inventory.owners_[file] = tab == std::string::npos ? pipeline : line.substr(tab + 1);
    }
    return inventory;
  }

  std::set<std::string> files_of(const std::string& pipeline) const {
    std::set<std::string> files;
    for (const auto& [file, owner] : owners_)
      if (owner == pipeline) files.insert(file);
    return files;
  }

  /// The pipeline that wrote `file`, or "" when none did.
  std::string owner(const std::string& file) const {
    auto it = owners_.find(file);
    return it == owners_.end() ? "" : it->second;
  }

  /// Makes `files` the files of `pipeline`, others' lines kept; rewritten
  /// only when the list changed: a no-op sync writes nothing.
  Result<void> write(const fs::path& dir, const std::string& pipeline, const std::set<std::string>& files) {
    std::map<std::string, std::string> owners;
    for (const auto& [file, owner] : owners_)
      if (owner != pipeline) owners.emplace(file, owner);
    for (const auto& file : files) owners.emplace(file, pipeline);
    std::string text;
    for (const auto& [file, owner] : owners) text += file + "\t" + owner + "\n";
    owners_ = std::move(owners);
    if (text == text_) return {};
    text_ = std::move(text);
    return dir_sink::write_atomically(dir / kInventory, text_, kFileMode);
  }

 private:
  std::map<std::string, std::string> owners_;  ///< file -> pipeline
  std::string text_;                           ///< the file as last read or written
};

// The pipelines of a daemon that share a folder sync it one at a time: each
// rewrites the inventory of all of them.
std::mutex& folder_lock(const fs::path& dir) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard lock(guard);
  std::error_code ec;
  auto& folder = locks[fs::weakly_canonical(dir, ec).string()];
  if (!folder) folder = std::make_unique<std::mutex>();
  return *folder;
}

// The content of a regular file; nullopt for anything else (missing, a folder, a link).
std::optional<std::string> read_regular(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DirSink : public Sink {
 public:
  DirSink(fs::path dir, bool prune, bool allow_empty) : dir_(std::move(dir)), prune_(prune), allow_empty_(allow_empty) {}

  SinkReport sync(Context& context, const SinkRequest& request) override {
    SinkReport report;
    const bool apply = request.mode == SinkMode::apply;
    std::map<std::string, const KubeObject*> desired = files_of(request.objects, report.diagnostics);
    if (has_errors(report.diagnostics)) return report;  // validate everything before the first write

    std::lock_guard folder(folder_lock(dir_));
    const std::string pipeline = context.pipeline();
    Inventory inventory = Inventory::read(dir_, pipeline);
    for (const auto& [file, object] : desired)
      if (const std::string owner = inventory.owner(file); !owner.empty() && owner != pipeline)
        report.diagnostics.push_back({Severity::error,
                                      where(*object) + " would be written to " + (dir_ / file).string() + ", which pipeline '" +
                                          owner + "' writes: pipelines may share a folder but not a file; give each pipeline "
                                          "a path of its own (path: out/{{folder}}) or remove the object from one of them",
                                      object->origin.file, object->origin.line, object->id()});
    if (has_errors(report.diagnostics)) return report;
    const std::set<std::string> previous = inventory.files_of(pipeline);
    std::vector<std::string> leaving;
    for (const auto& file : previous)
      if (!desired.count(file)) leaving.push_back(file);
    const bool empty_guard = desired.empty() && !previous.empty() && !allow_empty_ && !request.allow_empty;
    if (empty_guard && !leaving.empty()) {
      report.diagnostics.push_back({Severity::error,
                                    "the render is empty but " + std::to_string(previous.size()) +
                                        " objects were written before; nothing is pruned (set allowEmpty: true to allow)",
                                    {}, 0, {}});
      return report;
    }

    StagedWrites writes;
    for (const auto& [file, object] : desired) {
      const fs::path target = dir_ / file;
      const std::string content = to_yaml(object->body);
      const std::optional<std::string> current = read_regular(target);
      std::error_code ec;
      const bool exists = fs::exists(fs::symlink_status(target, ec));
      if (current == content) {
        if (apply && is_secret(*object))  // written world-readable by an older driftless
          fs::permissions(target, fs::perms::group_all | fs::perms::others_all, fs::perm_options::remove, ec);
        report.changes.push_back({object->id(), ChangeAction::unchanged, {}});
        continue;
      }
      ObjectChange change{object->id(), exists ? ChangeAction::configured : ChangeAction::created, {}};
      if (!apply) {
        Value live;
        if (current) {
          auto parsed = parse_yaml(*current, file);
          if (!parsed.documents.empty()) live = parsed.documents.front().value;
        }
        change.detail = object_diff(live, object->body, file);
      } else if (auto staged = writes.stage(target, content, is_secret(*object) ? kSecretMode : kFileMode); !staged.ok()) {
        report.diagnostics.push_back({Severity::error, staged.error().message + "; nothing in " + dir_.string() + " was changed",
                                      object->origin.file, object->origin.line, object->id()});
      }
      report.changes.push_back(std::move(change));
    }
    if (has_errors(report.diagnostics)) {  // the staged files are discarded: the last output stays whole
      report.changes.clear();
      return report;
    }
    if (apply) {
      // Every file that may exist after this sync is in the inventory before it is written.
      std::set<std::string> owned = previous;
      for (const auto& [file, object] : desired) owned.insert(file);
      if (!record(report, inventory.write(dir_, pipeline, owned)) || !record(report, writes.commit())) {
        report.changes.clear();
        return report;
      }
      prune(report, leaving, apply, desired, inventory, pipeline);
      context.logger().debug("wrote directory", {{"path", dir_.string()}, {"objects", std::to_string(desired.size())}});
    } else {
      prune(report, leaving, apply, desired, inventory, pipeline);
    }
    return report;
  }

 private:
  // The file of every object; two objects that would share one are an error naming both.
  static std::map<std::string, const KubeObject*> files_of(const std::vector<KubeObject>& objects,
                                                           std::vector<Diagnostic>& diagnostics) {
    std::map<std::string, const KubeObject*> files;
    for (const auto& object : objects) {
      const std::string ns = object.namespace_name();
      const std::string group = object.group();
      if (!safe_kind(object.kind()) || !safe_name(name_or_prefix(object)) || (!ns.empty() && !safe_name(ns)) ||
          (!group.empty() && !safe_name(group))) {
        diagnostics.push_back({Severity::error, "API group, kind, name (or generateName) or namespace is missing or not a valid Kubernetes name",
                               object.origin.file, object.origin.line, object.id()});
        continue;
      }
      auto [it, inserted] = files.emplace(file_of(object), &object);
      if (!inserted)
        diagnostics.push_back({Severity::error,
                               where(object) + " and " + where(*it->second) + " would both be written to " + it->first +
                                   ": the dir sink keeps one file per API group, kind, namespace and name, as "
                                   "Kubernetes identifies objects; remove one of them",
                               object.origin.file, object.origin.line, object.id()});
    }
    return files;
  }

  static bool record(SinkReport& report, const Result<void>& result) {
    if (!result.ok()) report.diagnostics.push_back({Severity::error, result.error().message, {}, 0, {}});
    return result.ok();
  }

  // Removes (or, with prune off, keeps and reports) the files of objects that
  // left; the inventory ends up listing exactly the files still there.
  void prune(SinkReport& report, const std::vector<std::string>& leaving, bool apply,
             const std::map<std::string, const KubeObject*>& desired, Inventory& inventory, const std::string& pipeline) {
    std::set<std::string> kept;
    for (const auto& [file, object] : desired) kept.insert(file);
    for (const auto& file : leaving) {
      if (!prune_) {
        report.changes.push_back({file, ChangeAction::skipped, "left in place: prune is off"});
        kept.insert(file);
        continue;
      }
      report.changes.push_back({file, ChangeAction::pruned, {}});
      if (!apply) continue;
      std::error_code ec;
      fs::remove(dir_ / file, ec);
      if (ec) {
        report.diagnostics.push_back({Severity::error, "cannot remove " + (dir_ / file).string() + ": " + ec.message(), {}, 0, {}});
        kept.insert(file);  // tried again next time
        continue;
      }
      const fs::path parent = (dir_ / file).parent_path();
      if (fs::is_empty(parent, ec)) fs::remove(parent, ec);
    }
    if (apply) record(report, inventory.write(dir_, pipeline, kept));
  }

  fs::path dir_;
  bool prune_;
  bool allow_empty_;
};

struct Settings {
  std::string path;
  bool prune = true;
  bool allow_empty = false;
};

const SettingsSchema<Settings>& schema() {
  static const auto keys =
      SettingsSchema<Settings>()
          .key(ConfigKey("path", ConfigType::path, "Directory to write the objects to; created when missing.").required(),
               &Settings::path)
          .key(ConfigKey("prune", ConfigType::boolean, "Remove files of objects that left the desired set.").default_to(true),
               &Settings::prune)
          .key(ConfigKey("allowEmpty", ConfigType::boolean, "Allow an empty render to remove every file.").default_to(false),
               &Settings::allow_empty);
  return keys;
}

class DirSinkFactory : public SinkFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return schema().keys(); }

  // The folder it writes to.
  std::string target(const Value& config) const override { return config.string_or("path"); }

  // A declared pipeline writes below its parent's folder, in a folder of its
  // own ("_pipelines" is no namespace name, so no object file lands there),
  // and keeps its own inventory: the two never prune each other's files.
  // What a declaration says about applying to a cluster (a Flux
  // Kustomization's wait, timeout, serviceAccountName ...) has no meaning
  // for files: a dir sink previews what would be applied, so it is accepted
  // and has no effect (docs/sink-dir.md).
  Result<Value> narrow(const Value& parent, const Value& overlay, const std::string& pipeline) const override {
    static const std::set<std::string, std::less<>> kClusterOnly = {
        "namespace", "force", "wait", "healthTimeout", "impersonate", "drift", "createNamespaces", "keepFluxObjects",
        "statusObject", "context"};
    Value out = parent;
    for (const auto& [key, value] : overlay.as_object()) {
      if (kClusterOnly.count(key)) continue;
      if (key != "prune" && key != "allowEmpty")
        return fail(ErrorCode::invalid_input, "pipeline '" + pipeline + "' may not set '" + key +
                                                      "': a declared pipeline writes below its parent's path");
      out.as_object().set(key, value);
    }
    const std::string own = pipeline.substr(pipeline.rfind('/') + 1);
    out.as_object().set("path", (fs::path(parent.string_or("path")) / "_pipelines" / own).string());
    return out;
  }

  Result<std::unique_ptr<Sink>> create(const Value& config) const override {
    auto s = schema().read(config);
    if (!s.ok()) return s.error();
    return std::unique_ptr<Sink>(std::make_unique<DirSink>(s->path, s->prune, s->allow_empty));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(DirSinkFactory, "dir", "sink", "0.1.0", "Writes objects as YAML files into a directory")
