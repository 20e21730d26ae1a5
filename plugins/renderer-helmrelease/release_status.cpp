#include "release_status.hpp"

#include <charconv>
#include <ctime>

namespace driftless::helmrelease {
namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string field(const StatusItem& item, const std::string& key) {
  auto it = item.fields.find(key);
  return it == item.fields.end() ? "" : it->second;
}

Value condition(const std::string& type, bool ok, const std::string& reason, const std::string& message, const std::string& now) {
  Object c;
  c.set("type", type);
  c.set("status", ok ? "True" : "False");
  c.set("reason", reason);
  c.set("message", message);
  c.set("lastTransitionTime", now);
  c.set("lastUpdateTime", now);
  return Value(std::move(c));
}

}  // namespace

Value release_status(const Release& release, const StatusItem& item, const std::string& now) {
  const bool ok = item.error.empty();
  const std::string message = ok ? "driftless: " + item.detail : item.error;
  Object status;
  if (release.api_version == "helm.fluxcd.io/v1") {
    status.set("releaseName", release.name);
    status.set("releaseStatus", item.state);
    status.set("phase", ok ? "Succeeded" : "Failed");
    status.set("lastAttemptedRevision", release.chart.version);
    if (ok) status.set("revision", release.chart.version);
    Array conditions;
    conditions.push_back(condition("Released", ok, ok ? "Succeeded" : "Failed", message, now));
    status.set("conditions", std::move(conditions));
  } else {
    Array conditions;
    conditions.push_back(condition("Ready", ok, ok ? "ReconciliationSucceeded" : "ReconciliationFailed", message, now));
    status.set("conditions", std::move(conditions));
    status.set("lastAttemptedRevision", release.chart.version);
    status.set("storageNamespace", release.namespace_name);
    if (ok) {
      status.set("lastAppliedRevision", release.chart.version);
      Object snapshot;
      snapshot.set("name", release.name);
      snapshot.set("namespace", release.namespace_name);
      const std::string revision = field(item, "revision");
      std::int64_t number = 0;
      std::from_chars(revision.data(), revision.data() + revision.size(), number);
      snapshot.set("version", number);
      snapshot.set("status", item.state);
      snapshot.set("chartName", release.chart.name);
      snapshot.set("chartVersion", release.chart.version);
      snapshot.set("digest", "sha256:" + release.digest);
      Array history;
      history.push_back(Value(std::move(snapshot)));
      status.set("history", std::move(history));
    }
  }
  Object patch;
  patch.set("status", Value(std::move(status)));
  return Value(std::move(patch));
}

bool write_release_status(ClusterView& cluster, const Release& release, const StatusItem& item, Logger& logger) {
  auto discovery = cluster.discovery();
  if (!discovery.ok()) {
    logger.warn("cannot read the API's resources; HelmRelease status not written", {{"error", discovery.error().message}});
    return false;
  }
  const kube::ResourceType* type = (*discovery)->find(release.api_version, "HelmRelease");
  if (!type) return false;
  const std::string path = type->object_path(release.object_namespace, release.object_name) + "/status";
  auto response = cluster.client().send(
      cluster.client().request("PATCH", path, to_json(release_status(release, item, utc_now())), "application/merge-patch+json"));
  if (response.ok() && response->status == 404) return false;
  if (!response.ok() || response->status >= 300)
    logger.warn("cannot write the HelmRelease status",
                {{"object", release.object},
                 {"error", response.ok() ? kube::api_message(*response) : response.error().message}});
  return true;
}

}  // namespace driftless::helmrelease
