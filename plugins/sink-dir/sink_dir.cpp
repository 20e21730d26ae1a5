// sink "dir": writes each object to <path>/<namespace or _cluster>/<kind>-<name>.yaml
// (for previews and the rendered-manifests pattern). Files are rewritten only
// when their content changes; files of objects that left the set are removed,
// and only files this sink wrote (listed in .driftless-inventory) are touched.
#include <driftless/diff.hpp>
#include <driftless/export.hpp>
#include <driftless/files.hpp>
#include <driftless/yaml.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace {

using namespace driftless;
namespace fs = std::filesystem;

constexpr const char* kInventory = ".driftless-inventory";

// Kubernetes names are DNS labels/subdomains; anything else could escape the
// folder ("../x") and is refused rather than sanitised.
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

std::set<std::string> read_inventory(const fs::path& dir) {
  std::set<std::string> files;
  std::ifstream in(dir / kInventory);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line.find("..") == std::string::npos && line[0] != '/') files.insert(line);
  return files;
}

bool write_atomically(const fs::path& file, const std::string& content) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  fs::path temp = file;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return false;
  }
  fs::rename(temp, file, ec);
  return !ec;
}

std::string read_all(const fs::path& file) {
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
    std::map<std::string, const KubeObject*> desired;
    for (const auto& object : request.objects) {
      const std::string ns = object.namespace_name();
      if (!safe_kind(object.kind()) || !safe_name(object.name()) || (!ns.empty() && !safe_name(ns))) {
        report.diagnostics.push_back({Severity::error, "kind, name or namespace is not a valid Kubernetes name",
                                      object.origin.file, object.origin.line, object.id()});
        continue;
      }
      desired[(ns.empty() ? "_cluster" : ns) + "/" + lower(object.kind()) + "-" + object.name() + ".yaml"] = &object;
    }
    if (has_errors(report.diagnostics)) return report;  // validate everything before the first write

    const std::set<std::string> previous = read_inventory(dir_);
    for (const auto& [file, object] : desired) {
      const fs::path target = dir_ / file;
      const std::string content = to_yaml(object->body);
      std::error_code ec;
      const bool exists = fs::exists(target, ec);
      const std::string current = exists ? read_all(target) : std::string();
      if (exists && current == content) {
        report.changes.push_back({object->id(), ChangeAction::unchanged, {}});
        continue;
      }
      ObjectChange change{object->id(), exists ? ChangeAction::configured : ChangeAction::created, {}};
      if (!apply) {
        Value live;
        if (exists) {
          auto parsed = parse_yaml(current, file);
          if (!parsed.documents.empty()) live = parsed.documents.front().value;
        }
        change.detail = object_diff(live, object->body, file);
      } else if (!write_atomically(target, content)) {
        report.diagnostics.push_back({Severity::error, "cannot write " + target.string(), object->origin.file,
                                      object->origin.line, object->id()});
        continue;
      }
      report.changes.push_back(std::move(change));
    }
    if (has_errors(report.diagnostics)) return report;  // nothing is pruned after a failure

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
    for (const auto& file : leaving) {
      if (!prune_) {
        report.changes.push_back({file, ChangeAction::skipped, "left in place: prune is off"});
        continue;
      }
      report.changes.push_back({file, ChangeAction::pruned, {}});
      if (apply) {
        std::error_code ec;
        fs::remove(dir_ / file, ec);
        fs::path parent = (dir_ / file).parent_path();
        if (fs::is_empty(parent, ec)) fs::remove(parent, ec);
      }
    }
    if (apply) {
      std::string inventory;
      for (const auto& [file, object] : desired) inventory += file + "\n";
      if (!prune_)
        for (const auto& file : leaving) inventory += file + "\n";
      if (!write_atomically(dir_ / kInventory, inventory))
        report.diagnostics.push_back({Severity::error, "cannot write the inventory in " + dir_.string(), {}, 0, {}});
      context.logger().debug("wrote directory", {{"path", dir_.string()}, {"objects", std::to_string(desired.size())}});
    }
    return report;
  }

 private:
  fs::path dir_;
  bool prune_;
  bool allow_empty_;
};

class DirSinkFactory : public SinkFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {
        ConfigKey("path", ConfigType::path, "Directory to write the objects to; created when missing.").required(),
        ConfigKey("prune", ConfigType::boolean, "Remove files of objects that left the desired set.").default_to(true),
        ConfigKey("allowEmpty", ConfigType::boolean, "Allow an empty render to remove every file.").default_to(false),
    };
  }
  Result<std::unique_ptr<Sink>> create(const Value& config) const override {
    return std::unique_ptr<Sink>(std::make_unique<DirSink>(config.string_or("path"), config.find("prune")->as_bool(),
                                                           config.find("allowEmpty")->as_bool()));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(DirSinkFactory, "dir", "sink", "0.1.0", "Writes objects as YAML files into a directory")
