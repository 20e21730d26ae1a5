// source "helm-chart": one chart of a Helm repository served over HTTP(S)
// (index.yaml), at one version or the highest in a range, checked against
// the index's digest and unpacked into a read-only snapshot that holds the
// chart in a folder of its name. The revision is "<version>@sha256:<digest>",
// so a poll that finds the same chart downloads nothing; an exact version,
// once fetched, is not looked up again (a published chart version does not
// change). A private repository takes basic auth (auth), sent to its own
// origin only.
#include <driftless/export.hpp>
#include <driftless/toolkit/files.hpp>
#include <driftless/toolkit/hash.hpp>
#include <driftless/toolkit/secrets.hpp>
#include <driftless/toolkit/snapshot.hpp>

#include "chart_spec.hpp"
#include "helm_repository.hpp"
#include "tarball.hpp"

namespace {

using namespace driftless;
using namespace driftless::helm_chart;
namespace fs = std::filesystem;

class HelmChartSource : public Source {
 public:
  explicit HelmChartSource(ChartSpec spec) : spec_(std::move(spec)) {}

  Result<Artifact> fetch(Context& context, const Artifact* previous) override {
    if (previous && spec_.exact && previous->metadata.count("version") && previous->metadata.at("version") == spec_.version)
      return *previous;
    charts::RepositoryAccess access;
    access.url = spec_.url;
    access.timeout = spec_.timeout;
    access.cancelled = [&context] { return context.cancelled(); };
    if (!spec_.auth.username.empty()) {
      auto password = read_secret(spec_.auth.password_file, spec_.auth.password_env);
      if (!password.ok()) return fail(ErrorCode::unauthorized, "auth: " + password.error().message);
      access.username = spec_.auth.username;
      access.password = std::move(*password);
    }
    HttpClient http;
    auto index = charts::fetch_index(http, access, spec_.max_index_bytes);
    if (!index.ok()) return index.error();
    auto chart = charts::pick_chart(*index, spec_.url, spec_.chart, spec_.version);
    if (!chart.ok()) return chart.error();
    if (previous && !chart->digest.empty() && previous->revision == revision_of(*chart)) {
      context.logger().debug("chart unchanged", {{"revision", previous->revision}});
      return *previous;
    }
    const fs::path folder = context.cache_dir() / "helm-chart" / sha256_hex(spec_.url + "\n" + spec_.chart).substr(0, 16);
    auto lock = FolderLock::acquire(folder, context.deadline());
    if (!lock.ok()) return lock.error();
    const fs::path snapshots = folder / "snapshots";
    std::optional<fs::path> root = chart->digest.empty() ? std::nullopt : find_snapshot(snapshots, chart->digest);
    if (!root) {
      auto archive = charts::download_chart(http, access, *chart, spec_.max_chart_bytes);
      if (!archive.ok()) return archive.error();
      if (root = find_snapshot(snapshots, chart->digest); !root) {
        auto written = store(*archive, *chart, folder);
        if (!written.ok()) return written.error();
        root = *written;
      }
    }
    Artifact artifact;
    artifact.revision = revision_of(*chart);
    artifact.root = *root;
    artifact.folder_ids = hash_folders(*root);
    artifact.metadata["url"] = spec_.url;
    artifact.metadata["chart"] = spec_.chart;
    artifact.metadata["version"] = chart->version;
    artifact.metadata["digest"] = "sha256:" + chart->digest;
    std::error_code ec;
    if (!fs::is_regular_file(*root / spec_.chart / "Chart.yaml", ec))
      return fail(ErrorCode::invalid_input, "the archive of chart '" + spec_.chart + "' " + chart->version + " from " +
                                                redact_url(spec_.url) + " holds no " + spec_.chart + "/Chart.yaml");
    std::set<fs::path> in_use{artifact.root};
    if (previous) in_use.insert(previous->root);
    prune_snapshots(snapshots, spec_.keep_snapshots, in_use);
    context.logger().info("fetched", {{"url", redact_url(spec_.url)}, {"chart", spec_.chart}, {"revision", artifact.revision}});
    return artifact;
  }

 private:
  static std::string revision_of(const charts::IndexedChart& chart) { return chart.version + "@sha256:" + chart.digest; }

  Result<fs::path> store(const std::string& archive, const charts::IndexedChart& chart, const fs::path& folder) const {
    SnapshotWriter writer(folder / "snapshots", chart.digest);
    const std::string name = "chart '" + spec_.chart + "' " + chart.version + " from " + redact_url(spec_.url);
    if (auto unpacked = unpack_tarball(archive, name, writer, {spec_.max_entries, "maxEntries", spec_.max_total_bytes, "maxTotalSize"});
        !unpacked.ok())
      return unpacked.error();
    return commit_unpacked(writer, name);
  }

  ChartSpec spec_;
};

class HelmChartSourceFactory : public SourceFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return chart_schema().keys(); }
  Result<std::unique_ptr<Source>> create(const Value& config) const override {
    auto spec = parse_chart_spec(config);
    if (!spec.ok()) return spec.error();
    return std::unique_ptr<Source>(std::make_unique<HelmChartSource>(std::move(*spec)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(HelmChartSourceFactory, "helm-chart", "source", "0.1.0",
                 "A chart of a Helm repository (index.yaml over HTTP(S)), by version or semver range, unpacked")
