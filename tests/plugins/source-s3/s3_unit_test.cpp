#include <gtest/gtest.h>

#include "s3_client.hpp"
#include "s3_spec.hpp"
#include "tarball.hpp"

using namespace driftless;
using namespace driftless::s3;

namespace {
S3Spec spec_of(const std::string& json) {
  auto value = parse_json(json);
  EXPECT_TRUE(value.ok());
  auto spec = parse_s3_spec(*value);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().message);
  return spec.ok() ? *spec : S3Spec{};
}
}  // namespace

TEST(S3Spec, PathAndVirtualHostedUrls) {
  auto minio = spec_of(R"({"endpoint": "http://127.0.0.1:9000/", "bucket": "fleet", "prefix": "/prod", "addressing": "auto"})");
  EXPECT_FALSE(minio.virtual_hosted);
  EXPECT_EQ(minio.prefix, "prod/");
  EXPECT_EQ(object_url(minio, "prod/a b/c+d.yaml"), "http://127.0.0.1:9000/fleet/prod/a%20b/c%2Bd.yaml");
  auto aws = spec_of(R"({"endpoint": "https://s3.eu-west-1.amazonaws.com", "bucket": "fleet", "addressing": "auto"})");
  EXPECT_TRUE(aws.virtual_hosted);
  EXPECT_EQ(object_url(aws, "x.yaml"), "https://fleet.s3.eu-west-1.amazonaws.com/x.yaml");
  EXPECT_EQ(object_url(aws, ""), "https://fleet.s3.eu-west-1.amazonaws.com/");
  auto forced = spec_of(R"({"endpoint": "https://minio.example.com", "bucket": "b", "addressing": "path"})");
  EXPECT_EQ(object_url(forced, "k"), "https://minio.example.com/b/k");
}

TEST(S3Spec, MistakesAreRefused) {
  for (const char* bad : {R"({"endpoint": "ftp://x", "bucket": "b"})", R"({"endpoint": "https://u:p@x", "bucket": "b"})",
                          R"({"endpoint": "https://x", "bucket": "a/b"})", R"({"endpoint": "https://x", "bucket": "b", "maxObjects": 0})"})
    EXPECT_FALSE(parse_s3_spec(*parse_json(bad)).ok()) << bad;
  auto token_in_url = parse_s3_spec(*parse_json(R"({"endpoint": "ftp://s3cret@x", "bucket": "b"})"));
  ASSERT_FALSE(token_in_url.ok());
  EXPECT_EQ(token_in_url.error().message.find("s3cret"), std::string::npos) << token_in_url.error().message;
}

TEST(S3Xml, ValuesWithEntities) {
  const std::string xml = "<Contents><Key>a&amp;b&lt;c&gt;.yaml</Key><ETag>&#34;abc&#34;</ETag></Contents><Code>NoSuchBucket</Code>";
  EXPECT_EQ(xml_value(xml, "Key"), "a&b<c>.yaml");
  EXPECT_EQ(xml_value(xml, "ETag"), "\"abc\"");
  EXPECT_EQ(xml_value(xml, "Code"), "NoSuchBucket");
  EXPECT_EQ(xml_value(xml, "Missing"), "");
}

TEST(Tarball, Names) {
  EXPECT_TRUE(is_tarball("bundles/fleet.tar.gz"));
  EXPECT_TRUE(is_tarball("x.tgz"));
  EXPECT_FALSE(is_tarball("x.tar"));
  EXPECT_FALSE(is_tarball("tar.gz/readme.md"));
}
