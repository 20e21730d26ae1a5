// The helm-chart source against a Helm repository on loopback (charts made
// by the real `helm package` and indexed by `helm repo index`): one version
// or the highest in a range, a new version is a new revision and an
// unchanged one downloads nothing, an exact version is not looked up again;
// what a hostile repository may send (other bytes than the index's digest,
// an index or archive larger than allowed) and bad config are refused; a
// private repository is read with basic auth.
#include <gtest/gtest.h>

#include "chart_repository.hpp"
#include "driftless/toolkit/hash.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string config(const std::string& url, const std::string& chart, const std::string& version, const std::string& extra = "") {
  return R"({"url": ")" + url + R"(", "chart": ")" + chart + R"(", "version": ")" + version + "\"" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

void add_guestbook(ChartRepository& charts, const std::string& version) {
  charts.add("guestbook", version, {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\n"}},
             "tag: \"" + version + "\"\n");
}

}  // namespace

TEST(HelmChartSource, FetchesOneVersionOrTheHighestInARangeIntoAFolderOfTheChartsName) {
  ChartRepository charts;
  add_guestbook(charts, "0.1.0");
  add_guestbook(charts, "0.2.0");
  add_guestbook(charts, "1.0.0");
  TempDir state;

  SourceUnderTest exact("helm-chart", config(charts.url(), "guestbook", "0.1.0"), state / "exact");
  auto first = exact.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->revision, "0.1.0@sha256:" + sha256_hex(read_file(charts.archive("guestbook", "0.1.0"))));
  EXPECT_EQ(read_file(first->root / "guestbook/values.yaml"), "tag: \"0.1.0\"\n");
  EXPECT_TRUE(fs::is_regular_file(first->root / "guestbook/templates/cm.yaml"));
  EXPECT_FALSE(first->folder_id("guestbook").empty());
  EXPECT_EQ(first->metadata.at("chart"), "guestbook");
  EXPECT_EQ(first->metadata.at("version"), "0.1.0");
  EXPECT_EQ(fs::status(first->root / "guestbook/Chart.yaml").permissions() & fs::perms::owner_write, fs::perms::none);

  SourceUnderTest range("helm-chart", config(charts.url(), "guestbook", "^0.1 || ^0.2"), state / "range");
  auto in_range = range.fetch();
  ASSERT_TRUE(in_range.ok()) << in_range.error().message;
  EXPECT_EQ(in_range->metadata.at("version"), "0.2.0");
  // Unchanged: the same snapshot. A new version in the range: a new revision.
  auto again = range.fetch(&*in_range);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->root, in_range->root);
  add_guestbook(charts, "0.2.1");
  auto newer = range.fetch(&*again);
  ASSERT_TRUE(newer.ok()) << newer.error().message;
  EXPECT_EQ(newer->metadata.at("version"), "0.2.1");
  EXPECT_EQ(read_file(newer->root / "guestbook/values.yaml"), "tag: \"0.2.1\"\n");

  // An exact version once fetched is never looked up again: nothing listens at this URL.
  SourceUnderTest offline("helm-chart", config("http://127.0.0.1:9", "guestbook", "0.1.0"), state / "offline");
  auto kept = offline.fetch(&*first);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(kept->revision, first->revision);
  auto unreachable = offline.fetch();
  expect_error(unreachable, ErrorCode::unavailable, "GET http://127.0.0.1:9/index.yaml: ");
  const std::string& message = unreachable.error().message;
  EXPECT_EQ(message.find("http://127.0.0.1:9/index.yaml"), message.rfind("http://127.0.0.1:9/index.yaml")) << message;
}

TEST(HelmChartSource, WhatTheRepositoryDoesNotHoldIsAnErrorNamingIt) {
  ChartRepository charts;
  add_guestbook(charts, "0.1.0");
  TempDir state;
  SourceUnderTest missing("helm-chart", config(charts.url(), "podinfo", "*"), state / "missing");
  expect_error(missing.fetch(), ErrorCode::not_found, "chart 'podinfo' is not in " + charts.url() + "/index.yaml");
  SourceUnderTest no_match("helm-chart", config(charts.url(), "guestbook", ">=2.0.0"), state / "no-match");
  expect_error(no_match.fetch(), ErrorCode::not_found, "no version of chart 'guestbook' in " + charts.url() + " matches '>=2.0.0'");
}

TEST(HelmChartSource, AHostileRepositoryIsRefusedAndTheLastGoodChartKept) {
  ChartRepository charts;
  add_guestbook(charts, "0.1.0");
  TempDir state;
  SourceUnderTest source("helm-chart", config(charts.url(), "guestbook", "*"), state / "source");
  auto good = source.fetch();
  ASSERT_TRUE(good.ok()) << good.error().message;

  // Other bytes than the index's digest: refused, nothing unpacked.
  add_guestbook(charts, "0.2.0");
  fs::copy_file(charts.archive("guestbook", "0.1.0"), charts.archive("guestbook", "0.2.0"), fs::copy_options::overwrite_existing);
  expect_error(source.fetch(&*good), ErrorCode::invalid_input,
               charts.url() + "/guestbook-0.2.0.tgz does not match the digest in the repository index");
  EXPECT_TRUE(fs::is_regular_file(good->root / "guestbook/Chart.yaml")) << "the last good snapshot stays";

  SourceUnderTest small_index("helm-chart", config(charts.url(), "guestbook", "*", R"("maxIndexSize": 64)"), state / "index");
  expect_error(small_index.fetch(), ErrorCode::invalid_input, "index.yaml");
  SourceUnderTest small_chart("helm-chart", config(charts.url(), "guestbook", "0.1.0", R"("maxChartSize": 64)"), state / "chart");
  expect_error(small_chart.fetch(), ErrorCode::invalid_input, "guestbook-0.1.0.tgz");
}

// A private repository: basic auth from a file, and without it a 401 that
// names the repository and never the password.
TEST(HelmChartSource, APrivateRepositoryIsReadWithBasicAuth) {
  ChartRepository charts("charts-bot", "s3cret-chart-token");
  add_guestbook(charts, "0.1.0");
  TempDir state;
  write_file(state / "password", "s3cret-chart-token\n");
  write_file(state / "wrong", "not-the-token\n");
  // The source with the password of `file` (none: anonymous), its state in `name`.
  auto source = [&](const std::string& name, const std::string& file) {
    const std::string auth = R"("auth": {"username": "charts-bot", "passwordFile": ")" + (state / file).string() + "\"}";
    return SourceUnderTest("helm-chart", config(charts.url(), "guestbook", "0.1.0", file.empty() ? "" : auth), state / name);
  };
  auto fetched = source("auth", "password").fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read_file(fetched->root / "guestbook/values.yaml"), "tag: \"0.1.0\"\n");

  auto refused = source("anonymous", "").fetch();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("401"), std::string::npos) << refused.error().message;

  auto denied = source("wrong-auth", "wrong").fetch();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().message.find("not-the-token"), std::string::npos) << denied.error().message;

  expect_error(source("unreadable", "absent").fetch(), ErrorCode::unauthorized,
               "auth: secret file " + (state / "absent").string() + " cannot be read");
}

TEST(HelmChartSource, BadConfigIsRefusedNamingTheKey) {
  TempDir state;
  const std::vector<std::pair<std::string, std::string>> cases{
      {config("file:///etc", "guestbook", "*"), "url 'file:///etc' is not an http:// or https:// Helm repository"},
      {config("oci://ghcr.io/org/charts", "guestbook", "*"), "is the oci source with layerSelector.mediaType"},
      {config("https://user:pw@charts.example.com", "guestbook", "*"), "is a URL with credentials before '@'"},
      {config("https://charts.example.com", "../guestbook", "*"), "chart '../guestbook' is not a chart name"},
      {config("https://charts.example.com", "guestbook", "latest"), "version 'latest'"},
      {config("https://charts.example.com", "guestbook", "*", R"("auth": {"username": "bot"})"),
       "auth: username needs passwordFile or passwordEnv"},
  };
  for (const auto& [json, expected] : cases) {
    SourceUnderTest source("helm-chart", json, state / "bad");
    ASSERT_TRUE(source.create_error().has_value()) << json;
    EXPECT_NE(source.create_error()->message.find(expected), std::string::npos) << source.create_error()->message;
  }
}
