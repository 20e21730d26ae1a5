// The s3 source against the MinIO of tests/env: credentials, missing bucket,
// pagination, no download for an unchanged bucket (requests counted on the
// wire), throttling and truncated downloads (injected on the wire), tarballs
// good and hostile.
#include <gtest/gtest.h>

#include <random>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/http.hpp"
#include "s3_proxy.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

// Creates a bucket in MinIO and puts objects, with the env's root credentials.
class TestBucket {
 public:
  TestBucket() : env_(require_env()) {
    std::random_device rd;
    name_ = "b" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
    auto r = send("PUT", "", "");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  const std::string& name() const { return name_; }
  void put(const std::string& key, const std::string& body) {
    auto r = send("PUT", key, body);
    EXPECT_EQ(r.status, 200) << key << ": " << r.body;
  }
  void put_many(const std::map<std::string, std::string>& objects) {
    std::vector<HttpRequest> requests;
    for (const auto& [key, body] : objects) requests.push_back(request("PUT", key, body));
    for (auto& r : http_.send_all(requests, 16)) EXPECT_TRUE(r.ok() && r->status == 200);
  }
  void remove(const std::string& key) { send("DELETE", key, ""); }
  std::string endpoint() { return env_["S3_ENDPOINT"]; }
  int port() { return std::stoi(endpoint().substr(endpoint().rfind(':') + 1)); }
  std::string config(const std::string& endpoint, const std::string& extra = "") {
    return R"({"endpoint": ")" + endpoint + R"(", "bucket": ")" + name_ + R"(", "region": ")" + env_["S3_REGION"] +
           R"(", "auth": {"accessKeyEnv": "TEST_S3_ACCESS", "secretKeyEnv": "TEST_S3_SECRET"})" +
           (extra.empty() ? "" : ", " + extra) + "}";
  }
  void export_credentials(const std::string& secret_override = "") {
    ::setenv("TEST_S3_ACCESS", env_["S3_ACCESS_KEY"].c_str(), 1);
    ::setenv("TEST_S3_SECRET", (secret_override.empty() ? env_["S3_SECRET_KEY"] : secret_override).c_str(), 1);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& key, const std::string& body) {
    HttpRequest r;
    r.method = method;
    r.url = env_["S3_ENDPOINT"] + "/" + name_ + (key.empty() ? "" : "/" + key);
    r.body = body;
    // libcurl signs a PUT body only when told its hash.
    if (method == "PUT") r.headers.emplace_back("x-amz-content-sha256", sha256_hex(body));
    r.aws_sigv4 = AwsSigV4{"aws:amz:" + env_["S3_REGION"] + ":s3", env_["S3_ACCESS_KEY"], env_["S3_SECRET_KEY"]};
    return r;
  }
  HttpResponse send(const std::string& method, const std::string& key, const std::string& body) {
    auto r = http_.send(request(method, key, body));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : HttpResponse{};
  }
  std::map<std::string, std::string> env_;
  std::string name_;
  HttpClient http_;
};

std::size_t count_files(const fs::path& root) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) n += e.is_regular_file() ? 1 : 0;
  return n;
}
}  // namespace

TEST(S3Source, ObjectsBelowThePrefixWithRightCredentials) {
  TestBucket bucket;
  bucket.export_credentials();
  bucket.put("fleet/clusters/prod/app.yaml", "kind: ConfigMap\n");
  bucket.put("fleet/README.md", "hello\n");
  bucket.put("fleet/clusters/", "");  // a folder marker
  bucket.put("other/ignored.yaml", "no\n");
  TempDir state;
  SourceUnderTest source("s3", bucket.config(bucket.endpoint(), R"("prefix": "fleet")"), state.path());
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(artifact->revision.rfind("sha256:", 0), 0u);
  EXPECT_EQ(artifact->revision.size(), 7u + 64u);
  EXPECT_EQ(read_file(artifact->root / "clusters/prod/app.yaml"), "kind: ConfigMap\n");
  EXPECT_EQ(count_files(artifact->root), 2u);
  EXPECT_FALSE(artifact->folder_id("clusters/prod").empty());
  EXPECT_EQ(artifact->metadata.at("objects"), "2");
  EXPECT_EQ(fs::status(artifact->root / "README.md").permissions() & fs::perms::owner_write, fs::perms::none);
}

TEST(S3Source, WrongOrMissingCredentialsAreUnauthorized) {
  TestBucket bucket;
  bucket.put("a.yaml", "a: 1\n");
  TempDir state;
  bucket.export_credentials("not-the-secret-k3y");
  SourceUnderTest wrong("s3", bucket.config(bucket.endpoint()), state / "a");
  auto refused = wrong.fetch();
  expect_error(refused, ErrorCode::unauthorized, "SignatureDoesNotMatch");
  EXPECT_EQ(refused.error().message.find("k3y"), std::string::npos);
  ::unsetenv("TEST_S3_SECRET");
  auto missing = wrong.fetch();
  expect_error(missing, ErrorCode::unauthorized, "TEST_S3_SECRET");
}

TEST(S3Source, MissingBucketIsNotFound) {
  TestBucket bucket;
  bucket.export_credentials();
  TempDir state;
  std::string config = bucket.config(bucket.endpoint());
  config.replace(config.find(bucket.name()), bucket.name().size(), "no-such-bucket-here");
  SourceUnderTest source("s3", config, state.path());
  auto result = source.fetch();
  expect_error(result, ErrorCode::not_found, "bucket 'no-such-bucket-here' does not exist");
}

TEST(S3Source, PaginatesOverMoreThanAThousandKeysAndSkipsDownloadsWhenUnchanged) {
  TestBucket bucket;
  bucket.export_credentials();
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 1100; ++i) objects["many/f" + std::to_string(i) + ".yaml"] = "i: " + std::to_string(i) + "\n";
  bucket.put_many(objects);
  S3Proxy proxy(bucket.port());
  TempDir state;
  SourceUnderTest source("s3", bucket.config(proxy.endpoint()), state.path());
  auto first = source.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(count_files(first->root), 1100u);
  EXPECT_EQ(read_file(first->root / "many/f1099.yaml"), "i: 1099\n");
  EXPECT_EQ(proxy.list_requests, 2) << "1,000 keys per page";
  EXPECT_EQ(proxy.object_requests, 1100);

  // Unchanged: the listing only, no object is downloaded.
  auto same = source.fetch(&*first);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision, first->revision);
  EXPECT_EQ(proxy.list_requests, 4);
  EXPECT_EQ(proxy.object_requests, 1100);
  // Also after a restart (no previous artifact): the snapshot on disk is reused.
  SourceUnderTest restarted("s3", bucket.config(proxy.endpoint()), state.path());
  auto again = restarted.fetch();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->root, first->root);
  EXPECT_EQ(proxy.object_requests, 1100);

  bucket.put("many/f7.yaml", "changed: true\n");
  auto changed = source.fetch(&*first);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_NE(changed->revision, first->revision);
  EXPECT_EQ(read_file(changed->root / "many/f7.yaml"), "changed: true\n");
  EXPECT_EQ(read_file(changed->root / "many/f8.yaml"), "i: 8\n");
  EXPECT_EQ(proxy.object_requests, 1101) << "only the changed object is downloaded";
}

TEST(S3Source, ThrottlingIsRetriedWithBackoff) {
  TestBucket bucket;
  bucket.export_credentials();
  bucket.put("a.yaml", "a: 1\n");
  bucket.put("b.yaml", "b: 1\n");
  S3Proxy proxy(bucket.port());
  proxy.throttle_next = 3;
  TempDir state;
  SourceUnderTest source("s3", bucket.config(proxy.endpoint()), state.path());
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(proxy.throttled, 3);
  EXPECT_EQ(count_files(artifact->root), 2u);

  proxy.throttle_next = 1000;  // a server that never recovers
  SourceUnderTest stubborn("s3", bucket.config(proxy.endpoint()), state / "other");
  auto refused = stubborn.fetch();
  expect_error(refused, ErrorCode::unavailable, "SlowDown");
}

TEST(S3Source, TruncatedDownloadsFailAndTheLastGoodSnapshotStays) {
  TestBucket bucket;
  bucket.export_credentials();
  bucket.put("a.yaml", std::string(1000, 'a'));
  S3Proxy proxy(bucket.port());
  TempDir state;
  SourceUnderTest source("s3", bucket.config(proxy.endpoint()), state.path());
  auto good = source.fetch();
  ASSERT_TRUE(good.ok()) << good.error().message;
  bucket.put("a.yaml", std::string(1000, 'b'));
  proxy.truncate("/a.yaml");
  auto refused = source.fetch(&*good);
  expect_error(refused, ErrorCode::unavailable, "downloading 'a.yaml'");
  EXPECT_EQ(read_file(good->root / "a.yaml"), std::string(1000, 'a'));
  proxy.truncate("");
  auto recovered = source.fetch(&*good);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_EQ(read_file(recovered->root / "a.yaml"), std::string(1000, 'b'));
}

TEST(S3Source, ASingleTarballIsUnpacked) {
  TestBucket bucket;
  bucket.export_credentials();
  TempDir dir;
  bucket.put("bundles/fleet.tar.gz", make_tarball(dir, "d('./clusters')\nf('./clusters/prod.yaml')\nl('./alias.yaml', 'clusters/prod.yaml')\n"
                                                       "f('run.sh', b'#!/bin/sh\\n', 0o755)"));
  SourceUnderTest source("s3", bucket.config(bucket.endpoint(), R"("prefix": "bundles/")"), dir / "state");
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(read_file(artifact->root / "clusters/prod.yaml"), "x: 1\n");
  EXPECT_EQ(read_file(artifact->root / "alias.yaml"), "x: 1\n");
  EXPECT_EQ(fs::status(artifact->root / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(artifact->metadata.at("archive"), "bundles/fleet.tar.gz");
}

TEST(S3Source, HostileTarballsAreRefusedWhole) {
  TestBucket bucket;
  bucket.export_credentials();
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> hostile{
      {"f('ok.yaml')\nf('../escape.yaml')", "'../escape.yaml'"},
      {"f('/etc/driftless-evil.yaml')", "absolute path"},
      {"l('link', '/etc')\nf('link/evil.yaml')", "through the symlink"},
      {"l('up', '../../..')", "points outside"},
      {"l('passwd.yaml', '/etc/passwd')", "points outside"},
      {"f('a.yaml')\nl('hard.yaml', '/etc/passwd', tarfile.LNKTYPE)", "hard links"},
      {"i = tarfile.TarInfo('dev'); i.type = tarfile.CHRTYPE; t.addfile(i)", "devices"},
      {"f('bomb.yaml', b'0' * (3 << 20))", "maxTotalSize"},
      {"[f('n%d.yaml' % n) for n in range(30)]", "maxObjects"},
  };
  int round = 0;
  for (const auto& [entries, expected] : hostile) {
    TempDir work;
    bucket.put("bundle.tar.gz", make_tarball(work, entries));
    SourceUnderTest source("s3", bucket.config(bucket.endpoint(), R"("maxTotalSize": 2097152, "maxObjects": 20)"),
                           dir / std::to_string(round++));
    auto refused = source.fetch();
    ASSERT_FALSE(refused.ok()) << entries;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_input) << entries;
    EXPECT_NE(refused.error().message.find(expected), std::string::npos) << entries << " -> " << refused.error().message;
    EXPECT_FALSE(fs::exists("/etc/driftless-evil.yaml"));
    EXPECT_FALSE(fs::exists(dir / "escape.yaml"));
  }
}
