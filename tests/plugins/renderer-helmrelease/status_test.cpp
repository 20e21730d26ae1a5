// What a HelmRelease's owner sees: each release's revision, chart and last
// error in `driftless status` and /api/v1/pipelines; the status of the
// HelmRelease object when the cluster has Flux's CRD; and the release's
// objects put back after someone deleted or changed them by hand.
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

#include "crd_fixture.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helmrelease_fixture.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

TEST(HelmReleaseStatus, EachReleaseShowsItsRevisionChartAndLastErrorInStatusAndTheApi) {
  ChartRepository charts;
  charts.add("web", "0.1.0", web_chart_templates(), "color: blue\n");
  auto broken = web_chart_templates();
  broken["broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n";
  charts.add("broken", "1.0.0", broken, "color: blue\n");
  HelmFleet fleet(unique("hr-status"), "", "2s");
  const std::string ns = fleet.ns();
  fleet.write("repository.yaml", helm_repository_object(ns, charts.url()));
  fleet.write("web.yaml", helm_release_object(ns, "web", "web", "0.1.0"));
  fleet.write("broken.yaml", helm_release_object(ns, "broken", "broken", "1.0.0"));
  auto daemon = fleet.start_daemon();
  ASSERT_TRUE(daemon->wait_for_output("driftless is running", std::chrono::seconds(30))) << daemon->output();
  std::smatch port;
  const std::string log = daemon->output();
  ASSERT_TRUE(std::regex_search(log, port, std::regex("listen=127\\.0\\.0\\.1:(\\d+)"))) << log;
  httplib::Client api("127.0.0.1", std::stoi(port[1]));

  auto items = [&]() -> Value {
    auto res = api.Get("/api/v1/pipelines");
    if (!res) return Value();
    auto parsed = parse_json(res->body);
    if (!parsed.ok()) return Value();
    for (const auto& p : parsed->find("pipelines")->as_array())
      if (p.string_or("name") == ns && p.find("items") && p.find("items")->as_array().size() == 2) return *p.find("items");
    return Value();
  };
  ASSERT_TRUE(eventually([&] { return items().is_array(); }, std::chrono::seconds(120))) << daemon->output();
  const Value list = items();
  const Value& first = list.as_array()[0].string_or("id") == "HelmRelease/" + ns + "/web" ? list.as_array()[0] : list.as_array()[1];
  const Value& second = &first == &list.as_array()[0] ? list.as_array()[1] : list.as_array()[0];
  EXPECT_EQ(first.string_or("state"), "deployed") << to_json(list);
  EXPECT_EQ(first.at_path({"fields", "revision"})->as_string(), "1") << to_json(list);
  EXPECT_EQ(first.at_path({"fields", "chart"})->as_string(), "web-0.1.0") << to_json(list);
  EXPECT_EQ(first.string_or("error"), "");
  EXPECT_EQ(second.string_or("id"), "HelmRelease/" + ns + "/broken");
  EXPECT_EQ(second.string_or("state"), "failed") << to_json(list);
  EXPECT_NE(second.string_or("error").find("helm install of release " + ns + "/broken failed"), std::string::npos) << to_json(list);

  auto table = run_driftless({"status", "--server", "127.0.0.1:" + std::string(port[1])});
  EXPECT_NE(table.out.find("HelmRelease/" + ns + "/web"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("release " + ns + "/web revision 1, chart web-0.1.0"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("helm install of release " + ns + "/broken failed"), std::string::npos) << table.out;
  auto json = run_driftless({"status", "--server", "127.0.0.1:" + std::string(port[1]), "-o", "json"});
  EXPECT_NE(json.out.find("\"wantedVersion\":\"1.0.0\""), std::string::npos) << json.out;
}

TEST(HelmReleaseStatus, WritesTheStatusOfHelmReleaseObjectsInTheClusterLikeFlux) {
  TempDir dir;
  write_file(dir / "crd.yaml", status_crd("helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases", "v2"));
  ASSERT_EQ(kubectl({"apply", "-f", (dir / "crd.yaml").string()}).exit_code, 0);
  ASSERT_TRUE(eventually([] { return kubectl({"get", "helmreleases.helm.toolkit.fluxcd.io", "-A"}).exit_code == 0; },
                         std::chrono::seconds(30)));
  ChartRepository charts;
  charts.add("web", "0.1.0", web_chart_templates(), "color: blue\n");
  HelmFleet fleet(unique("hr-crd"));
  const std::string ns = fleet.ns();
  fleet.write("repository.yaml", helm_repository_object(ns, charts.url()));
  fleet.write("web.yaml", helm_release_object(ns, "web", "web", "0.1.0"));
  // The object as Flux left it in the cluster before the migration (driftless never creates one).
  kubectl({"create", "namespace", ns});
  write_file(dir / "web.yaml", helm_release_object(ns, "web", "web", "0.1.0"));
  ASSERT_EQ(kubectl({"apply", "-f", (dir / "web.yaml").string()}).exit_code, 0);

  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto field = [&](const std::string& path) {
    return kubectl({"get", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n", ns, "-o", "jsonpath={" + path + "}"}).out;
  };
  EXPECT_EQ(field(".status.conditions[?(@.type==\"Ready\")].status"), "True");
  EXPECT_EQ(field(".status.lastAppliedRevision"), "0.1.0");
  EXPECT_EQ(field(".status.history[0].chartVersion"), "0.1.0");
  EXPECT_EQ(field(".status.history[0].version"), "1");

  // Written again when the release changed (and only then: what was written is remembered).
  fleet.write("web.yaml", helm_release_object(ns, "web", "web", "0.1.0", "  values: {color: green}\n"));
  auto upgraded = fleet.apply();
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.out << upgraded.err;
  EXPECT_EQ(field(".status.history[0].version"), "2");
  kubectl({"delete", "-f", (dir / "crd.yaml").string(), "--wait=false"});
}

TEST(HelmReleaseDrift, ObjectsOfAReleaseDeletedOrChangedByHandArePutBack) {
  ChartRepository charts;
  auto templates = web_chart_templates();
  templates["deployment.yaml"] =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: 1\n"
      "  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n"
      "    spec:\n      containers:\n        - {name: web, image: registry.example/web:1.0}\n";
  charts.add("web", "0.1.0", templates, "color: blue\n");
  HelmFleet fleet(unique("hr-drift"));
  const std::string ns = fleet.ns();
  fleet.write("repository.yaml", helm_repository_object(ns, charts.url()));
  fleet.write("web.yaml", helm_release_object(ns, "web", "web", "0.1.0"));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  ASSERT_EQ(revisions("web", ns), 1);
  // Unchanged objects: no upgrade (fingerprints stay stable while controllers update status).
  auto quiet = fleet.apply();
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_EQ(revisions("web", ns), 1);

  ASSERT_EQ(kubectl({"delete", "deployment", "web", "-n", ns}).exit_code, 0);
  auto pending = fleet.diff();
  EXPECT_EQ(pending.exit_code, 1) << pending.out << pending.err;
  EXPECT_NE(pending.out.find("Deployment/" + ns + "/web was deleted"), std::string::npos) << pending.out;
  auto healed = fleet.apply();
  ASSERT_EQ(healed.exit_code, 0) << healed.out << healed.err;
  EXPECT_EQ(kubectl({"get", "deployment", "web", "-n", ns}).exit_code, 0);
  EXPECT_EQ(revisions("web", ns), 2);

  ASSERT_EQ(kubectl({"patch", "configmap", "web-settings", "-n", ns, "--type", "merge", "-p", R"({"data":{"color":"by-hand"}})"}).exit_code, 0);
  auto restored = fleet.apply();
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "blue");
  EXPECT_EQ(revisions("web", ns), 3);
  ASSERT_EQ(fleet.apply().exit_code, 0);
  EXPECT_EQ(revisions("web", ns), 3);
}

}  // namespace
